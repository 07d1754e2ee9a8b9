/**
 * One OTLP log record with what it inherits from its resource, decoded from either encoding
 * (./decode-proto.ts, ./decode-json.ts), and its mapping onto a logwire record
 * (docs/receivers.md "OpenTelemetry").
 */
import type { IncomingRecord } from '../../protocol/frames.js';
import { mapRecord } from '../mapping.js';

/** Nesting limit of AnyValue arrays/maps: deeper bodies are refused rather than recursed into. */
export const MAX_ANYVALUE_DEPTH = 32;

export interface OtlpLog {
  /** Resource attributes (shared object: do not modify). */
  resource: Record<string, unknown>;
  /** Epoch ms (from nanoseconds), 0 when unset. */
  timeMs: number;
  observedMs: number;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  /** Lower-case hex, '' when unset. */
  traceId: string;
  spanId: string;
}

const SEVERITY_BY_NUMBER = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** OTLP SeverityNumber 1–24 in bands of four: TRACE, DEBUG, INFO, WARN, ERROR, FATAL. */
export function severityFromNumber(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 1 || n > 24) return undefined;
  return SEVERITY_BY_NUMBER[Math.floor((n - 1) / 4)];
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body;
  return JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function otlpRecord(log: OtlpLog): IncomingRecord {
  const { 'service.name': serviceName, ...resourceRest } = log.resource;
  const extra: Record<string, unknown> = {};
  if (log.traceId) extra.trace_id = log.traceId;
  if (log.spanId) extra.span_id = log.spanId;
  const severity = log.severityText !== '' ? log.severityText : severityFromNumber(log.severityNumber);
  const ms = log.timeMs || log.observedMs;
  return mapRecord({
    doc: { ...resourceRest, ...log.attributes },
    serviceKeys: [],
    fallbackService: typeof serviceName === 'string' && serviceName !== '' ? serviceName : undefined,
    message: bodyText(log.body) ?? '',
    ts: ms > 0 ? ms : undefined,
    timeFromDoc: false,
    severity,
    extraFields: extra,
  });
}
