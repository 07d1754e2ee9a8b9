/**
 * The one mapping from other protocols' shapes onto logwire records (docs/receivers.md
 * "Mapping"). Every receiver builds a candidate record here and hands it to the shared
 * validate → append → fan-out path, so the rules live in exactly one place:
 *
 * - for each record field, the first key present (with a usable value) wins;
 * - keys may be dotted (`service.name`): a flat key of that name or a nested path both count;
 * - whatever is not mapped stays in `fields`, so nothing a client sent is lost.
 *
 * Output is an IncomingRecord (`ts` in epoch ms, or the raw value when it is not a time, so
 * validation rejects it as `invalid_timestamp`).
 */
import type { IncomingRecord } from '../protocol/frames.js';
import { epochToMs, parseTime } from '../protocol/time.js';

export const SEVERITY_KEYS = ['level', 'severity', 'detected_level', 'lvl', 'log.level'] as const;
export const HOST_KEYS = ['host', 'hostname', 'host.name', 'instance', 'node'] as const;
export const FILE_KEYS = ['filename', 'file', 'path', 'log.file.path'] as const;
export const MESSAGE_KEYS = ['message', 'log', 'msg'] as const;
export const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'date', 'ts'] as const;
export const LOKI_SERVICE_KEYS = ['service', 'service_name', 'app', 'application', 'job', 'container'] as const;
export const ES_SERVICE_KEYS = ['service.name', 'service'] as const;
export const FORWARD_SERVICE_KEYS = ['service', 'app'] as const;

type Doc = Record<string, unknown>;

function isPlainObject(v: unknown): v is Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** A value usable as a label (service, host, file, severity): a non-empty string or a number. */
function usable(v: unknown): v is string | number {
  return (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * Finds `key` in `doc` (flat first, then as a nested path) and removes it, so the rest can go
 * to `fields`. Returns undefined, leaving `doc` untouched, when absent or unusable.
 */
function takeKey(doc: Doc, key: string, accept: (v: unknown) => boolean): unknown {
  if (Object.hasOwn(doc, key) && accept(doc[key])) {
    const v = doc[key];
    delete doc[key];
    return v;
  }
  const dot = key.indexOf('.');
  if (dot < 0) return undefined;
  const head = key.slice(0, dot);
  const inner = Object.hasOwn(doc, head) ? doc[head] : undefined;
  if (!isPlainObject(inner)) return undefined;
  const copy = { ...inner };
  const v = takeKey(copy, key.slice(dot + 1), accept);
  if (v === undefined) return undefined;
  if (Object.keys(copy).length === 0) delete doc[head];
  else doc[head] = copy;
  return v;
}

/** The first of `keys` present in `doc` with an acceptable value; removed from `doc`. */
export function takeFirst(doc: Doc, keys: readonly string[], accept: (v: unknown) => boolean = usable): unknown {
  for (const k of keys) {
    const v = takeKey(doc, k, accept);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Nanoseconds since the epoch given as a decimal string (exact, no float rounding) → ms. */
export function nanosStringToMs(s: string): number | undefined {
  if (!/^\d{1,20}$/.test(s)) return undefined;
  return s.length <= 6 ? 0 : Number(s.slice(0, -6));
}

/** A time value from a document (ISO string or epoch number/digits by magnitude) → ms. */
export function timeValueToMs(v: unknown): number | undefined {
  if (typeof v === 'number') return epochToMs(v);
  if (typeof v === 'bigint') return Number(v / 1_000_000n);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return epochToMs(Number(s));
  return parseTime(s);
}

const isTimeish = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint';
const isMessage = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** What a protocol supplies besides the key/value document. */
export interface MapInput {
  /** Keys searched for service, severity, host, file (and message/time unless given). Consumed. */
  doc: Doc;
  /** Service keys for this protocol, in order. */
  serviceKeys: readonly string[];
  /** Service when none of `serviceKeys` is present (ES index, Fluent tag, `syslog`). */
  fallbackService?: string;
  /** The protocol's own message (Loki line, OTLP body, syslog MSG); else MESSAGE_KEYS. */
  message?: string;
  /** The protocol's own event time in ms (or its raw text when unreadable, to be rejected). */
  ts?: number | string;
  /** Look for TIME_KEYS in the document first (default true; Fluent Forward's entry time is the fallback). */
  timeFromDoc?: boolean;
  /** The protocol's own severity (OTLP severityText, syslog PRI); else SEVERITY_KEYS. */
  severity?: string | number;
  /** Extra fields that are never searched for keys (trace ids, MSGID, facility...). */
  extraFields?: Doc;
}

/** Builds the candidate record; validation (limits, tokens, times) happens after. */
export function mapRecord(input: MapInput): IncomingRecord {
  const doc = input.doc;
  const out: IncomingRecord = {};
  const service = takeFirst(doc, input.serviceKeys) ?? input.fallbackService;
  if (service !== undefined) out.service = String(service);
  const severity = input.severity ?? takeFirst(doc, SEVERITY_KEYS);
  if (severity !== undefined) out.severity = severity as string | number;
  const host = takeFirst(doc, HOST_KEYS);
  if (host !== undefined) out.host = String(host);
  const file = takeFirst(doc, FILE_KEYS);
  if (file !== undefined) out.file = String(file);
  const message = input.message ?? takeFirst(doc, MESSAGE_KEYS, isMessage);
  if (message !== undefined) out.message = String(message);

  let ts: unknown = input.timeFromDoc === false ? undefined : takeFirst(doc, TIME_KEYS, isTimeish);
  if (ts !== undefined) {
    const ms = timeValueToMs(ts);
    // Not a time: leave the raw value for validation to reject as invalid_timestamp.
    ts = ms ?? String(ts);
  } else ts = input.ts;
  if (ts !== undefined) out.ts = ts as number | string;

  const fields = { ...doc, ...input.extraFields };
  if (Object.keys(fields).length > 0) out.fields = fields;
  return out;
}

/**
 * `POST /logs` aliases (Fluent Bit's `http` output and similar): `log` as message and `date` as
 * event time, when the record has no key of its own for them. The record validator reads the
 * rest (`msg`, `time`, `@timestamp`, `level`; epoch numbers by magnitude).
 */
export function applyPostAliases(record: unknown): unknown {
  if (!isPlainObject(record)) return record;
  const has = (k: string) => record[k] !== undefined && record[k] !== null;
  const renameLog = has('log') && !has('message') && !has('msg') && !has('logline');
  const renameDate = has('date') && !['ts', 'timestamp', 'time', '@timestamp'].some(has);
  if (!renameLog && !renameDate) return record;
  const { log, date, ...rest } = record;
  const out: Doc = rest;
  if (renameLog) out.message = log;
  else if (log !== undefined) out.log = log;
  if (renameDate) out.ts = date;
  else if (date !== undefined) out.date = date;
  return out;
}
