/**
 * Record validation and normalisation (docs/protocol.md), shared by every ingest path (WebSocket batches,
 * POST /logs in JSON, NDJSON or MessagePack). Validation is a value, never an exception: each
 * record is either accepted (normalised) or rejected alone with a snake_case reason.
 *
 * Field names clients already use are accepted as aliases: `timestamp`/`time`/`@timestamp` for
 * `ts`, `level` for `severity`, `msg`/`logline` for `message`, `filename` for `file`,
 * `hostname` for `host`. Any other unknown key is kept in `fields` so nothing sent is lost.
 */
import type { IncomingRecord, WireRecord } from './frames.js';
import { normalizeSeverity } from './severity.js';
import { epochToMs, inTimeWindow, parseTime, toIso } from './time.js';

/** A validated record before the hub assigns `id` and `rts`. */
export type ValidRecord = Omit<WireRecord, 'id' | 'rts'>;

export const RejectReason = {
  notAMap: 'not_a_map',
  missingMessage: 'missing_message',
  invalidMessage: 'invalid_message',
  invalidService: 'invalid_service',
  serviceTooLong: 'service_too_long',
  forbiddenService: 'forbidden_service',
  invalidTimestamp: 'invalid_timestamp',
  invalidHost: 'invalid_host',
  invalidFile: 'invalid_file',
  invalidFields: 'invalid_fields',
  fieldsTooLarge: 'fields_too_large',
  fieldsTooDeep: 'fields_too_deep',
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export interface ValidationLimits {
  /** Longer messages are truncated (at a UTF-8 boundary) and flagged `truncated: true`. */
  maxMessageBytes: number;
  /** Size limit of `fields`, roughly (JSON length). */
  maxFieldsBytes: number;
}

export const DEFAULT_LIMITS: ValidationLimits = { maxMessageBytes: 64 * 1024, maxFieldsBytes: 64 * 1024 };
export const MAX_SERVICE_CHARS = 128;
/** Nesting limit of `fields`: deeper structures are refused, as every encoder downstream recurses. */
export const MAX_FIELDS_DEPTH = 32;
const MAX_HOST_CHARS = 255;
const MAX_FILE_CHARS = 4096;
const DEFAULT_SERVICE = 'unknown';

export interface ValidationContext {
  limits: ValidationLimits;
  /** Services the caller's token may write, or '*' for any. */
  services: readonly string[] | '*';
  /** Host to use when the record names none (the shipping host). */
  defaultHost?: string;
  /** Event time to use when the record has none (the hub's receive time). */
  nowMs: number;
}

export type Validation = { ok: true; record: ValidRecord } | { ok: false; reason: RejectReason };

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const KNOWN = new Set([
  'ts', 'timestamp', 'time', '@timestamp', 'service', 'severity', 'level', 'message', 'msg', 'logline',
  'host', 'hostname', 'file', 'filename', 'fields', 'truncated',
  // assigned by the hub; a client's value is ignored
  'id', 'rts', 'received_at',
]);

function pick(raw: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (raw[k] !== undefined && raw[k] !== null) return raw[k];
  return undefined;
}

/**
 * Whether labels as strings would pass validateRecord unchanged (the ingest fast path checks a
 * label tuple once, then recognises its bytes).
 */
export function labelsValid(service: string, host: string | undefined, file: string | undefined): boolean {
  if (service.length === 0 || service.length > MAX_SERVICE_CHARS || CONTROL.test(service)) return false;
  return cleanLabel(host, MAX_HOST_CHARS) !== false && cleanLabel(file, MAX_FILE_CHARS) !== false;
}

function cleanLabel(v: unknown, max: number): string | undefined | false {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max || CONTROL.test(v)) return false;
  return v;
}

/**
 * Approximate encoded size of `fields` (UTF-16 length of strings and keys, 9 per scalar), walked
 * iteratively so hostile nesting cannot overflow the stack. Stops early past the limits.
 */
export function measureFields(fields: object, maxBytes: number, maxDepth = MAX_FIELDS_DEPTH): number | 'too_deep' | 'too_large' {
  let size = 0;
  const stack: Array<[unknown, number]> = [[fields, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') size += v.length + 2;
    else if (v instanceof Uint8Array) size += v.byteLength;
    else if (v !== null && typeof v === 'object') {
      if (depth > maxDepth) return 'too_deep';
      if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
      else for (const k in v) {
        size += k.length + 3;
        stack.push([(v as Record<string, unknown>)[k], depth + 1]);
      }
    } else size += 9;
    if (size > maxBytes) return 'too_large';
  }
  return size;
}

export function truncateUtf8(message: string, maxBytes: number): { message: string; truncated: boolean } {
  // Fast path: a string no longer than maxBytes/3 code units cannot exceed maxBytes in UTF-8.
  if (message.length * 3 <= maxBytes || Buffer.byteLength(message) <= maxBytes) return { message, truncated: false };
  let cut = Buffer.from(message).subarray(0, maxBytes).toString();
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1); // a multi-byte character cut in half
  return { message: cut, truncated: true };
}

/** Validates and normalises one incoming record. */
export function validateRecord(input: unknown, ctx: ValidationContext): Validation {
  if (input === null || typeof input !== 'object' || Array.isArray(input) || input instanceof Uint8Array) {
    return { ok: false, reason: RejectReason.notAMap };
  }
  const raw = input as IncomingRecord;

  const message = pick(raw, 'message', 'msg', 'logline');
  if (message === undefined) return { ok: false, reason: RejectReason.missingMessage };
  if (typeof message !== 'string') return { ok: false, reason: RejectReason.invalidMessage };

  let service = pick(raw, 'service');
  if (service === undefined) service = ctx.services === '*' ? DEFAULT_SERVICE : ctx.services[0];
  if (typeof service !== 'string' || service.length === 0 || CONTROL.test(service)) {
    return { ok: false, reason: RejectReason.invalidService };
  }
  if (service.length > MAX_SERVICE_CHARS) return { ok: false, reason: RejectReason.serviceTooLong };
  if (ctx.services !== '*' && !ctx.services.includes(service)) return { ok: false, reason: RejectReason.forbiddenService };

  let ts: number | undefined = ctx.nowMs;
  const rawTs = pick(raw, 'ts', 'timestamp', 'time', '@timestamp');
  if (rawTs !== undefined) {
    ts = typeof rawTs === 'number' ? epochToMs(rawTs) : typeof rawTs === 'string' ? parseTime(rawTs, ctx.nowMs) : undefined;
    if (ts === undefined || !inTimeWindow(ts, ctx.nowMs)) return { ok: false, reason: RejectReason.invalidTimestamp };
  }

  const host = cleanLabel(pick(raw, 'host', 'hostname') ?? ctx.defaultHost, MAX_HOST_CHARS);
  if (host === false) return { ok: false, reason: RejectReason.invalidHost };
  const file = cleanLabel(pick(raw, 'file', 'filename'), MAX_FILE_CHARS);
  if (file === false) return { ok: false, reason: RejectReason.invalidFile };

  let fields: Record<string, unknown> | undefined;
  if (raw.fields !== undefined && raw.fields !== null) {
    if (typeof raw.fields !== 'object' || Array.isArray(raw.fields) || raw.fields instanceof Uint8Array) {
      return { ok: false, reason: RejectReason.invalidFields };
    }
    fields = { ...raw.fields };
  }
  for (const key in raw) {
    // defineProperty, not `=`: a key named __proto__ is a field like any other.
    if (!KNOWN.has(key) && raw[key] !== undefined) Object.defineProperty((fields ??= {}), key, { value: raw[key], enumerable: true, writable: true, configurable: true });
  }

  const sev = normalizeSeverity(pick(raw, 'severity', 'level'));
  if (sev.original !== undefined) (fields ??= {}).level = sev.original;
  if (fields) {
    const measured = measureFields(fields, ctx.limits.maxFieldsBytes);
    if (measured === 'too_deep') return { ok: false, reason: RejectReason.fieldsTooDeep };
    if (measured === 'too_large') return { ok: false, reason: RejectReason.fieldsTooLarge };
  }

  const cut = truncateUtf8(message, ctx.limits.maxMessageBytes);
  const record: ValidRecord = { ts, service, severity: sev.severity, message: cut.message };
  if (host !== undefined) record.host = host;
  if (file !== undefined) record.file = file;
  if (fields) record.fields = fields;
  if (cut.truncated || raw.truncated === true) record.truncated = true;
  return { ok: true, record };
}

/** The JSON shape of a record on HTTP and in tail `format=json` (docs/protocol.md). */
export interface JsonRecord {
  id: string;
  timestamp: string;
  received_at: string;
  service: string;
  severity: string;
  message: string;
  host?: string;
  file?: string;
  fields?: Record<string, unknown>;
  truncated?: true;
}

export function toJsonRecord(r: WireRecord): JsonRecord {
  const out: JsonRecord = {
    id: r.id,
    timestamp: toIso(r.ts),
    received_at: toIso(r.rts),
    service: r.service,
    severity: r.severity,
    message: r.message,
  };
  if (r.host !== undefined) out.host = r.host;
  if (r.file !== undefined) out.file = r.file;
  if (r.fields !== undefined) out.fields = r.fields;
  if (r.truncated) out.truncated = true;
  return out;
}
