/**
 * Output formats: each turns one record (docs/protocol.md JSON shape) into one chunk of text ending in a
 * newline.
 *
 * - `pretty`: `<timestamp> <host> <service> <SEVERITY> <message> [key=value…]`; severity coloured
 *   and each service in a stable colour when colour is on. Continuation lines of multiline
 *   messages (stack traces) are indented under a `│` gutter so they never look like new records.
 *   Control characters from the log are shown escaped, so a log line cannot drive the terminal.
 * - `json`: NDJSON, exactly the record as the HTTP API gives it, one per line (for jq).
 * - `raw`: the message only, unchanged.
 */
import { lookupSeverity, parseTime, type JsonRecord } from '../hub/protocol/index.js';
import type { OutputFormat } from './config.js';
import { safeJson } from './printable.js';

export interface FormatOptions {
  format: OutputFormat;
  /** ANSI colour in `pretty` (decided in config: TTY, --no-color, NO_COLOR). */
  color: boolean;
}

export type Formatter = (record: JsonRecord) => string;

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** Severity colours: quiet for chatter, loud for trouble. */
export const SEVERITY_COLOR: Record<string, string> = {
  TRACE: '\x1b[90m',
  DEBUG: '\x1b[36m',
  INFO: '\x1b[32m',
  WARN: '\x1b[33m',
  ERROR: '\x1b[31m',
  FATAL: '\x1b[1;97;41m',
};

/** Service colours avoid red and yellow, which mean trouble in the severity column. */
const SERVICE_COLORS = ['\x1b[34m', '\x1b[35m', '\x1b[36m', '\x1b[94m', '\x1b[95m', '\x1b[96m', '\x1b[32m', '\x1b[92m'];

function serviceColor(service: string): string {
  let h = 0;
  for (let i = 0; i < service.length; i++) h = (h * 31 + service.charCodeAt(i)) >>> 0;
  return SERVICE_COLORS[h % SERVICE_COLORS.length];
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Makes control characters visible (`\u001b`) so logs cannot move the cursor or recolour. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : safeJson(v);
  if (v === null || typeof v !== 'object') return String(v);
  return safeJson(v);
}

function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(`${k}=${formatValue(v)}`);
  return parts.length > 0 ? escapeControls(parts.join(' ')) : '';
}

function paint(color: boolean, code: string, text: string): string {
  return color ? `${code}${text}${RESET}` : text;
}

const LEADING_TIME = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+/;
const LEADING_WORD = /^\[?([A-Za-z]+)\]?:?\s+/;

/**
 * A plain-text line usually starts with its own time and level, which the pretty columns already
 * show. Drops that prefix, but only when it restates exactly this record's time (same instant)
 * and level (and then a `[service]` tag naming this record's service). json and raw keep the
 * message verbatim.
 */
export function withoutRestatedPrefix(r: JsonRecord): string {
  const m = LEADING_TIME.exec(r.message);
  if (!m || parseTime(m[1].replace(',', '.')) !== Date.parse(r.timestamp)) return r.message;
  let rest = r.message.slice(m[0].length);
  const level = LEADING_WORD.exec(rest);
  if (level && lookupSeverity(level[1]) === r.severity) rest = rest.slice(level[0].length);
  const tag = /^\[([^\]\s]+)\]\s+/.exec(rest);
  if (tag && tag[1] === r.service) rest = rest.slice(tag[0].length);
  return rest === '' ? r.message : rest;
}

export function formatPretty(r: JsonRecord, color: boolean): string {
  const lines = withoutRestatedPrefix(r).split(/\r?\n/);
  // A trailing newline in the message is not worth an empty continuation line.
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const sev = r.severity.padEnd(5);
  const head = [
    paint(color, DIM, r.timestamp),
    paint(color, DIM, escapeControls(r.host ?? '-')),
    paint(color, serviceColor(r.service), escapeControls(r.service)),
    paint(color, SEVERITY_COLOR[r.severity] ?? '', sev),
    escapeControls(lines[0]),
  ].join(' ');
  let extra = '';
  const fields = formatFields(r.fields);
  if (fields !== '') extra += ` ${paint(color, DIM, fields)}`;
  if (r.truncated) extra += ` ${paint(color, DIM, '[truncated]')}`;
  let out = `${head}${extra}\n`;
  const gutter = paint(color, DIM, '  │ ');
  for (let i = 1; i < lines.length; i++) out += `${gutter}${escapeControls(lines[i])}\n`;
  return out;
}

export function createFormatter(opts: FormatOptions): Formatter {
  switch (opts.format) {
    case 'json': return (r) => `${safeJson(r)}\n`;
    case 'raw': return (r) => `${r.message}\n`;
    case 'pretty': return (r) => formatPretty(r, opts.color);
  }
}
