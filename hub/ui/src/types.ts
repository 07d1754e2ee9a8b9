/** Shapes the page reads from the hub (docs/web-ui.md; the HTTP record shape of the API docs). */

/** One record as GET /logs and the JSON live tail send it. */
export interface LogRecord {
  id: string;
  timestamp: string;
  received_at: string;
  service: string;
  severity: string;
  message: string;
  host?: string;
  file?: string;
  fields?: Record<string, unknown>;
  truncated?: boolean;
}

export interface LogsPage {
  count: number;
  logs: LogRecord[];
  next_cursor: string | null;
}

export interface VolumeAnswer {
  step: string;
  buckets: Array<{ t: string; counts: Record<string, number> }>;
}

export interface StatsAnswer {
  total: number;
  logs_per_service: Record<string, number>;
}

export const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
