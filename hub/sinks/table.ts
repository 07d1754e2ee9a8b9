/**
 * `logwire-hub sinks`: the forwarding state of a running hub (its /stats `sinks` key) as a small
 * table for a person: how far behind each sink is, what it sent and skipped, its last error.
 */
import type { SinkStatus } from './sink.js';

function ago(iso: string | null, nowMs: number): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

function lag(s: SinkStatus): string {
  if (s.lag_records === 0) return '0';
  const secs = s.lag_seconds < 10 ? s.lag_seconds.toFixed(1) : String(Math.round(s.lag_seconds));
  return `${s.lag_records} (${secs}s)`;
}

function skipped(s: SinkStatus): string {
  const parts = Object.entries(s.skipped).map(([k, n]) => `${n} ${k}`);
  return parts.length > 0 ? parts.join(', ') : '0';
}

export function formatSinkTable(sinks: SinkStatus[], nowMs = Date.now()): string {
  if (sinks.length === 0) return 'no sinks configured (start the hub with --sinks sinks.json)\n';
  const head = ['SINK', 'TYPE', 'STATE', 'LAG', 'SENT', 'RETRIED', 'SKIPPED', 'LAST ERROR'];
  const rows = sinks.map((s) => [
    s.name, s.type, s.state, lag(s), String(s.sent), String(s.retried), skipped(s),
    s.last_error ? `${ago(s.last_error.at, nowMs)}: ${s.last_error.message}` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === head.length - 1 ? 0 : r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}
