/**
 * Lines → records. One parser per followed file (it holds that file's multiline state).
 *
 * - JSON lines (`{...}`): timestamp, level, service and message are taken by their common names
 *   (see the *_KEYS lists); every other key is kept in `fields`.
 * - Plain text: the message is the whole line; the event time is the first ISO 8601/RFC 3339,
 *   syslog (`Mar  3 14:02:01`) or common-log (`[10/Oct/2000:13:55:36 -0700]`) timestamp near the
 *   start; the severity is an upper-case level word (`ERROR`, `WARN`, …) or `level=x`.
 *   Times without a zone are UTC (docs/guarantees.md); with no timestamp the read time is used.
 * - Multiline: continuation lines (indented, `Caused by:`, `... N more`, or — with a custom
 *   pattern — any line not matching the start pattern) join the previous record with `\n`.
 *   A pending record is emitted when the next record starts or after `multilineFlushMs` idle.
 *
 * Invariant: every emitted record carries the file offset just past its last line, so a
 * checkpoint never covers a line that is still pending here.
 */
import { normalizeSeverity, parseTime, epochToMs, type Severity } from '../hub/protocol/index.js';
import type { LineFormat } from './config.js';

/** A record as the shipper sends it (docs/protocol.md batch records). */
export interface ShipRecord {
  ts: number;
  service: string;
  severity: Severity;
  message: string;
  host: string;
  file?: string;
  fields?: Record<string, unknown>;
  truncated?: true;
}

export interface ParserOptions {
  service: string;
  host: string;
  file?: string;
  format: LineFormat;
  /** `auto`, `off`, or a regex source matching the first line of a record. */
  multiline: string;
  multilineFlushMs: number;
  /** Upper bound for a joined multiline message (bytes, approximated by UTF-16 length). */
  maxLineBytes: number;
}

/** Receives each record with the offset just past its last line and its source length in chars. */
export type RecordSink = (record: ShipRecord, endOffset: number, sizeHint: number) => void;

export interface LineParser {
  /** One line without its newline; `endOffset` is just past the newline. */
  push(line: string, endOffset: number, truncated: boolean, nowMs: number): void;
  /** Emits the pending multiline record if it has waited `multilineFlushMs`. */
  flushIfIdle(nowMs: number): void;
  /** Emits the pending record now (rotation, shutdown). */
  flush(): void;
  readonly pending: boolean;
}

const TS_KEYS = new Set(['ts', 'timestamp', 'time', '@timestamp', 't', 'date', 'datetime', 'asctime']);
const LEVEL_KEYS = new Set(['level', 'severity', 'lvl', 'loglevel', 'log_level', 'levelname', 'log.level']);
const MSG_KEYS = new Set(['message', 'msg', 'log', 'text']);
const SERVICE_KEYS = new Set(['service', 'app', 'application', 'service.name']);

const ISO_RE = /(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)/;
const SYSLOG_RE = /^(?:<\d{1,3}>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})/;
const CLF_RE = /\[(\d{2})\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]/;
const SEV_RE = /\b(TRACE|DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|ERR|CRITICAL|CRIT|FATAL|PANIC|EMERG|ALERT)\b/;
const SEV_KV_RE = /\b(?:level|severity|lvl)=["']?([A-Za-z]+|\d{1,2})/i;
const SEV_BRACKET_RE = /\[(trace|debug|info|notice|warn|warning|error|err|crit|critical|fatal)\]/i;
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const CONTINUATION_RE = /^(?:\s|Caused by:|\.\.\. \d+ more)/;
/** Only the head of a line is searched for a timestamp and level (cost bound on long lines). */
const HEAD_CHARS = 160;

const digits = (s: string, i: number, n: number): number => {
  let v = 0;
  for (let k = i; k < i + n; k++) v = v * 10 + (s.charCodeAt(k) - 48);
  return v;
};

/**
 * Fast path for what ISO_RE matched (`YYYY-MM-DD[T ]HH:MM[:SS[.f…]][Z|±HH[:]MM]`), from the
 * digits, without the regex passes and string copies of parseTime. Undefined for values out of
 * range, which parseTime then judges.
 */
export function isoToMs(s: string, at = 0): number | undefined {
  const mo = digits(s, at + 5, 2);
  const d = digits(s, at + 8, 2);
  const h = digits(s, at + 11, 2);
  const mi = digits(s, at + 14, 2);
  let i = at + 16;
  let sec = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58 /* : */ && isDigit(s, i + 1) && isDigit(s, i + 2)) {
    sec = digits(s, i + 1, 2);
    i += 3;
    const c = s.charCodeAt(i);
    if ((c === 46 || c === 44) /* . , */ && isDigit(s, i + 1)) {
      i++;
      let scale = 100;
      for (; isDigit(s, i); i++, scale /= 10) if (scale >= 1) ms += (s.charCodeAt(i) - 48) * scale;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return undefined;
  let off = 0;
  const z = s.charCodeAt(i);
  if ((z === 43 || z === 45) /* + - */ && isDigit(s, i + 1) && isDigit(s, i + 2)) {
    const mAt = s.charCodeAt(i + 3) === 58 ? i + 4 : i + 3;
    if (isDigit(s, mAt) && isDigit(s, mAt + 1)) off = (digits(s, i + 1, 2) * 60 + digits(s, mAt, 2)) * 60_000 * (z === 45 ? -1 : 1);
  }
  const y = digits(s, at, 4);
  // Date.UTC would roll 31 Feb over into March; leave such dates to parseTime.
  if (d > 28 && d > (mo === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - off;
}

const isDigit = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/** True when `YYYY-MM-DD[T ]HH:MM` starts at `at` in `s`. */
function isoAt(s: string, at: number): boolean {
  const sep = s.charCodeAt(at + 10);
  return (
    s.length >= at + 16 && isDigit(s, at) && isDigit(s, at + 1) && isDigit(s, at + 2) && isDigit(s, at + 3) && s.charCodeAt(at + 4) === 45 &&
    isDigit(s, at + 5) && isDigit(s, at + 6) && s.charCodeAt(at + 7) === 45 && isDigit(s, at + 8) && isDigit(s, at + 9) && (sep === 84 || sep === 32) &&
    isDigit(s, at + 11) && isDigit(s, at + 12) && s.charCodeAt(at + 13) === 58 && isDigit(s, at + 14) && isDigit(s, at + 15)
  );
}

/** Where the first ISO_RE match would start (found from the dashes, no regex); -1 if none. */
function findIso(s: string): number {
  for (let p = s.indexOf('-', 4); p !== -1; p = s.indexOf('-', p + 1)) if (isoAt(s, p - 4)) return p - 4;
  return -1;
}

/** Finds an event time in a plain-text line; undefined when there is none. */
export function findTimestamp(line: string, nowMs: number): number | undefined {
  const head = line.length > HEAD_CHARS ? line.slice(0, HEAD_CHARS) : line;
  let m: RegExpExecArray | null;
  const at = findIso(head);
  if (at !== -1) {
    const fast = isoToMs(head, at);
    if (fast !== undefined) return fast;
    m = ISO_RE.exec(head);
    if (m) {
      const t = isoToMs(m[1]) ?? parseTime(m[1].replace(',', '.'), nowMs);
      if (t !== undefined) return t;
    }
  }
  m = SYSLOG_RE.exec(head);
  if (m) {
    const year = new Date(nowMs).getUTCFullYear();
    let t = Date.UTC(year, MONTHS[m[1]], Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    // Syslog has no year: a date more than a day ahead belongs to last year (December logs read in January).
    if (t > nowMs + 86_400_000) t = Date.UTC(year - 1, MONTHS[m[1]], Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    return t;
  }
  if (head.includes('/')) {
    m = CLF_RE.exec(head);
    if (m) {
      const off = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1);
      return Date.UTC(Number(m[3]), MONTHS[m[2]], Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - off;
    }
  }
  return undefined;
}

/** Finds a severity in a plain-text line; undefined when there is none. */
export function findSeverity(line: string): Severity | undefined {
  const head = line.length > HEAD_CHARS ? line.slice(0, HEAD_CHARS) : line;
  const m = SEV_RE.exec(head) ?? SEV_KV_RE.exec(head) ?? SEV_BRACKET_RE.exec(head);
  if (!m) return undefined;
  const s = normalizeSeverity(m[1]);
  return s.original === undefined ? s.severity : undefined;
}

/** The hub refuses times before 1970 or more than a day ahead (invalid_timestamp). */
const MAX_AHEAD_MS = 86_400_000;

/**
 * A time the hub will accept, else undefined: a line whose own time is absurd is shipped with
 * its read time (the original stays in the message, or in `fields` for JSON), never refused.
 */
function acceptable(ms: number | undefined, nowMs: number): number | undefined {
  return ms !== undefined && ms >= 0 && ms <= nowMs + MAX_AHEAD_MS ? ms : undefined;
}

/** A JSON time value: an epoch number of any unit (by magnitude) or a time string. */
function jsonTime(v: unknown, nowMs: number): number | undefined {
  if (typeof v === 'number') return acceptable(epochToMs(v), nowMs);
  if (typeof v === 'string') return acceptable(parseTime(v.replace(',', '.'), nowMs) ?? (Number.isNaN(Date.parse(v)) ? undefined : Date.parse(v)), nowMs);
  return undefined;
}

/** Parses a JSON object line; undefined when the line is not a JSON object. */
export function parseJsonLine(line: string, opts: ParserOptions, nowMs: number): ShipRecord | undefined {
  // A thrown SyntaxError costs far more than the parse itself: lines that cannot be one JSON
  // object (e.g. `{...} trace_id=…`, text appended after the object) are not tried at all.
  let last = line.length - 1;
  while (last > 0 && (line.charCodeAt(last) === 32 || line.charCodeAt(last) === 9)) last--;
  if (line.charCodeAt(last) !== 125 /* } */) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const obj = o as Record<string, unknown>;
  let ts: number | undefined;
  let level: unknown;
  let message: string | undefined;
  let service: string | undefined;
  let fields: Record<string, unknown> | undefined;
  for (const k in obj) {
    const v = obj[k];
    if (ts === undefined && TS_KEYS.has(k) && (ts = jsonTime(v, nowMs)) !== undefined) continue;
    if (level === undefined && LEVEL_KEYS.has(k) && (typeof v === 'string' || typeof v === 'number')) { level = v; continue; }
    if (message === undefined && MSG_KEYS.has(k) && typeof v === 'string') { message = v; continue; }
    if (service === undefined && SERVICE_KEYS.has(k) && typeof v === 'string' && v.length > 0 && v.length <= 128) { service = v; continue; }
    (fields ??= {})[k] = v;
  }
  const sev = normalizeSeverity(level);
  if (sev.original !== undefined) (fields ??= {}).level = sev.original;
  const rec: ShipRecord = {
    ts: ts ?? nowMs,
    service: service ?? opts.service,
    severity: sev.severity,
    // A JSON line without a message field is still shipped whole, so nothing is lost.
    message: message ?? line,
    host: opts.host,
  };
  if (opts.file !== undefined) rec.file = opts.file;
  if (fields) rec.fields = fields;
  return rec;
}

/** Parses a plain-text line (never fails). */
export function parseTextLine(line: string, opts: ParserOptions, nowMs: number): ShipRecord {
  const rec: ShipRecord = {
    ts: acceptable(findTimestamp(line, nowMs), nowMs) ?? nowMs,
    service: opts.service,
    severity: findSeverity(line) ?? 'INFO',
    message: line,
    host: opts.host,
  };
  if (opts.file !== undefined) rec.file = opts.file;
  return rec;
}

/** Creates the parser for one file; records go to `sink` in line order. */
export function createLineParser(opts: ParserOptions, sink: RecordSink): LineParser {
  const startRe = opts.multiline !== 'auto' && opts.multiline !== 'off' ? new RegExp(opts.multiline) : undefined;
  const joinLines = opts.multiline !== 'off';
  let parts: string[] = [];
  let partsLen = 0;
  let pendingTruncated = false;
  let pendingEnd = 0;
  let pendingNow = 0;
  let lastPushMs = 0;

  function emit(): void {
    if (parts.length === 0) return;
    const text = parts.length === 1 ? parts[0] : parts.join('\n');
    const rec = parseTextLine(text, opts, pendingNow);
    if (pendingTruncated) rec.truncated = true;
    parts = [];
    partsLen = 0;
    pendingTruncated = false;
    sink(rec, pendingEnd, text.length);
  }

  function isContinuation(line: string): boolean {
    if (parts.length === 0) return false;
    if (startRe) return !startRe.test(line);
    return line.length === 0 || CONTINUATION_RE.test(line);
  }

  return {
    push(line, endOffset, truncated, nowMs) {
      lastPushMs = nowMs;
      if (joinLines && isContinuation(line)) {
        if (partsLen + line.length + 1 > opts.maxLineBytes) pendingTruncated = true;
        else {
          parts.push(line);
          partsLen += line.length + 1;
        }
        if (truncated) pendingTruncated = true;
        pendingEnd = endOffset;
        return;
      }
      emit();
      if (line.length === 0) {
        // A blank line carries nothing; its offset still counts as read.
        return;
      }
      if (opts.format !== 'text' && line.charCodeAt(0) === 123 /* { */ && !truncated) {
        const rec = parseJsonLine(line, opts, nowMs);
        if (rec) {
          sink(rec, endOffset, line.length);
          return;
        }
      }
      if (!joinLines) {
        const rec = parseTextLine(line, opts, nowMs);
        if (truncated) rec.truncated = true;
        sink(rec, endOffset, line.length);
        return;
      }
      parts.push(line);
      partsLen = line.length;
      pendingTruncated = truncated;
      pendingEnd = endOffset;
      pendingNow = nowMs;
    },
    flushIfIdle(nowMs) {
      if (parts.length > 0 && nowMs - lastPushMs >= opts.multilineFlushMs) emit();
    },
    flush: emit,
    get pending() {
      return parts.length > 0;
    },
  };
}
