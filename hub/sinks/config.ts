/**
 * The sinks file (`--sinks sinks.json`, docs/forwarding.md): where else stored records go.
 * Parsed once at startup, every key checked (unknown keys are refused with the path to them, so a
 * typo never silently turns a knob off), defaults filled in, then frozen. TLS CA files are read
 * here so a wrong path fails at startup, not at the first send.
 */
import { readFileSync } from 'node:fs';
import { parseFilter, type RecordFilter } from '../filter/filter.js';

export type SinkType = 'loki' | 'elasticsearch' | 'logwire' | 'http';
export const SINK_TYPES: readonly SinkType[] = ['loki', 'elasticsearch', 'logwire', 'http'];

/** Records per batch, at most. */
export const DEFAULT_BATCH_RECORDS = 5000;
/** Approximate encoded bytes per batch, at most. */
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;
/** A batch that is not full is sent once its oldest record has waited this long. */
export const DEFAULT_BATCH_WAIT_MS = 200;
/** First retry delay; doubles per failed attempt (with jitter) up to the maximum. */
export const DEFAULT_RETRY_INITIAL_MS = 250;
export const DEFAULT_RETRY_MAX_MS = 30_000;
/** A request (or a WebSocket ack) that takes longer is abandoned and retried. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Elasticsearch index name; `{service}` becomes the record's service (lower-cased, made safe). */
export const DEFAULT_ES_INDEX = 'logwire-{service}';

export interface SinkConfig {
  name: string;
  type: SinkType;
  /** Where to send: the push/bulk/ingest endpoint, completed from a base URL (resolveUrl). */
  url: string;
  /** Bearer token, sent as `Authorization: Bearer …` (the logwire sink's ingest token). */
  token?: string;
  basicAuth?: { username: string; password: string };
  headers: Readonly<Record<string, string>>;
  /** Only records matching this are sent (the history-query filters). */
  filter: RecordFilter;
  /** The filter as written, for /stats. */
  filterText: Readonly<Record<string, string>>;
  /** Elasticsearch index template. */
  index: string;
  /** Loki body encoding. */
  encoding: 'protobuf' | 'json';
  /** Loki: static labels added to every stream. */
  labels: Readonly<Record<string, string>>;
  batchRecords: number;
  batchBytes: number;
  batchWaitMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  tls: { ca?: string; rejectUnauthorized: boolean };
  /** Where a sink without a saved cursor starts: every stored record, or only new ones. */
  startAt: 'oldest' | 'newest';
}

const KEYS = ['name', 'type', 'url', 'token', 'headers', 'basic_auth', 'filter', 'index', 'encoding', 'labels', 'batch', 'retry', 'timeout_ms', 'tls', 'start_at'];
const FILTER_KEYS = ['service', 'severity', 'host', 'file', 'q', 'regex'];
const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const LABEL_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class SinkConfigError extends Error {}

type Obj = Record<string, unknown>;

function fail(where: string, message: string): never {
  throw new SinkConfigError(`${where}: ${message}`);
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function only(o: Obj, keys: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(where, `unknown key "${k}" (known keys: ${keys.join(', ')})`);
}

function str(o: Obj, key: string, where: string, required = false): string | undefined {
  const v = o[key];
  if (v === undefined) return required ? fail(where, `"${key}" is required`) : undefined;
  if (typeof v !== 'string' || v === '') fail(where, `"${key}" must be a non-empty string`);
  return v;
}

function posInt(o: Obj | undefined, key: string, where: string, def: number): number {
  const v = o?.[key];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(where, `"${key}" must be a positive whole number, got ${JSON.stringify(v)}`);
  return v;
}

function strMap(v: unknown, where: string, keyRe?: RegExp): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) fail(where, 'must be an object of string values');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') fail(where, `"${k}" must be a string`);
    if (keyRe && !keyRe.test(k)) fail(where, `"${k}" is not a valid name (letters, digits, _; not starting with a digit)`);
    out[k] = x;
  }
  return out;
}

function parseSinkFilter(v: unknown, where: string): { filter: RecordFilter; text: Record<string, string> } {
  if (v === undefined) return { filter: {}, text: {} };
  if (!isObj(v)) fail(where, 'must be an object such as {"service": "payments", "severity": "WARN+"}');
  only(v, FILTER_KEYS, where);
  const text: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') text[k] = x;
    else if (Array.isArray(x) && x.every((s) => typeof s === 'string')) text[k] = x.join(',');
    else fail(where, `"${k}" must be a string or an array of strings`);
  }
  const parsed = parseFilter((name) => (text[name] !== undefined ? [text[name]] : []));
  if (!parsed.ok) fail(where, parsed.message);
  return { filter: parsed.filter, text };
}

/** Completes a base URL with the endpoint of the sink's type; a URL with a path is kept as given. */
export function resolveUrl(type: SinkType, raw: string, where: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    fail(where, `"url" "${raw}" is not a URL`);
  }
  const bare = u.pathname === '/' || u.pathname === '';
  if (type === 'logwire') {
    if (u.protocol === 'http:') u.protocol = 'ws:';
    else if (u.protocol === 'https:') u.protocol = 'wss:';
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') fail(where, `"url" must be ws://, wss://, http:// or https:// for a logwire sink`);
    if (bare) u.pathname = '/v1/ingest';
  } else {
    if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(where, `"url" must be http:// or https:// for a ${type} sink`);
    if (type === 'loki' && !u.pathname.endsWith('/push')) u.pathname = `${u.pathname.replace(/\/$/, '')}/loki/api/v1/push`;
    if (type === 'elasticsearch' && !u.pathname.endsWith('/_bulk')) u.pathname = `${u.pathname.replace(/\/$/, '')}/_bulk`;
  }
  return u.toString();
}

function parseSink(raw: unknown, i: number, dir: string): SinkConfig {
  let where = `sinks[${i}]`;
  if (!isObj(raw)) fail(where, 'must be an object with "name", "type" and "url"');
  const name = str(raw, 'name', where, true)!;
  if (!NAME_RE.test(name)) fail(where, `"name" "${name}" may use only letters, digits, "_", "-", "." (1-64 characters)`);
  where = `sink "${name}"`;
  only(raw, KEYS, where);
  const type = str(raw, 'type', where, true) as SinkType;
  if (!SINK_TYPES.includes(type)) fail(where, `"type" must be one of ${SINK_TYPES.join(', ')}, got "${type}"`);
  const url = resolveUrl(type, str(raw, 'url', where, true)!, where);
  for (const k of ['index', 'encoding', 'labels'] as const) {
    const owner = k === 'index' ? 'elasticsearch' : 'loki';
    if (raw[k] !== undefined && type !== owner) fail(where, `"${k}" applies to ${owner} sinks only`);
  }
  const encoding = (str(raw, 'encoding', where) ?? 'protobuf') as 'protobuf' | 'json';
  if (encoding !== 'protobuf' && encoding !== 'json') fail(where, `"encoding" must be "protobuf" or "json"`);
  const startAt = (str(raw, 'start_at', where) ?? 'oldest') as 'oldest' | 'newest';
  if (startAt !== 'oldest' && startAt !== 'newest') fail(where, `"start_at" must be "oldest" or "newest"`);

  let basicAuth: SinkConfig['basicAuth'];
  if (raw.basic_auth !== undefined) {
    const b = raw.basic_auth;
    if (!isObj(b)) fail(`${where} basic_auth`, 'must be {"username": …, "password": …}');
    only(b, ['username', 'password'], `${where} basic_auth`);
    if (typeof b.username !== 'string' || typeof b.password !== 'string') fail(`${where} basic_auth`, '"username" and "password" must be strings');
    basicAuth = { username: b.username, password: b.password };
  }
  const token = str(raw, 'token', where);
  if (token && basicAuth) fail(where, 'give "token" or "basic_auth", not both');

  const batch = raw.batch;
  if (batch !== undefined && !isObj(batch)) fail(`${where} batch`, 'must be an object');
  if (batch) only(batch, ['max_records', 'max_bytes', 'max_wait_ms'], `${where} batch`);
  const retry = raw.retry;
  if (retry !== undefined && !isObj(retry)) fail(`${where} retry`, 'must be an object');
  if (retry) only(retry, ['initial_ms', 'max_ms'], `${where} retry`);
  const tlsRaw = raw.tls;
  if (tlsRaw !== undefined && !isObj(tlsRaw)) fail(`${where} tls`, 'must be an object');
  if (tlsRaw) only(tlsRaw, ['ca', 'reject_unauthorized'], `${where} tls`);
  const tls: SinkConfig['tls'] = { rejectUnauthorized: tlsRaw?.reject_unauthorized !== false };
  if (tlsRaw?.reject_unauthorized !== undefined && typeof tlsRaw.reject_unauthorized !== 'boolean') fail(`${where} tls`, '"reject_unauthorized" must be true or false');
  const caPath = tlsRaw ? str(tlsRaw, 'ca', `${where} tls`) : undefined;
  if (caPath) {
    try {
      tls.ca = readFileSync(caPath.startsWith('/') ? caPath : `${dir}/${caPath}`, 'utf8');
    } catch (err) {
      fail(`${where} tls`, `cannot read the CA file "${caPath}" (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
  }
  const { filter, text } = parseSinkFilter(raw.filter, `${where} filter`);
  const retryInitialMs = posInt(retry, 'initial_ms', `${where} retry`, DEFAULT_RETRY_INITIAL_MS);
  return {
    name,
    type,
    url,
    token,
    basicAuth,
    headers: strMap(raw.headers, `${where} headers`),
    filter,
    filterText: text,
    index: str(raw, 'index', where) ?? DEFAULT_ES_INDEX,
    encoding,
    labels: strMap(raw.labels, `${where} labels`, LABEL_RE),
    batchRecords: posInt(batch, 'max_records', `${where} batch`, DEFAULT_BATCH_RECORDS),
    batchBytes: posInt(batch, 'max_bytes', `${where} batch`, DEFAULT_BATCH_BYTES),
    batchWaitMs: posInt(batch, 'max_wait_ms', `${where} batch`, DEFAULT_BATCH_WAIT_MS),
    retryInitialMs,
    retryMaxMs: Math.max(retryInitialMs, posInt(retry, 'max_ms', `${where} retry`, DEFAULT_RETRY_MAX_MS)),
    timeoutMs: posInt(raw, 'timeout_ms', where, DEFAULT_TIMEOUT_MS),
    tls,
    startAt,
  };
}

/** Parses the text of a sinks file; `dir` resolves relative CA paths. Throws SinkConfigError. */
export function parseSinks(text: string, dir = '.'): readonly SinkConfig[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail('sinks file', `not valid JSON (${(err as Error).message})`);
  }
  if (!isObj(doc) || !Array.isArray(doc.sinks)) fail('sinks file', 'must be {"sinks": [ … ]}');
  only(doc, ['sinks'], 'sinks file');
  const sinks = doc.sinks.map((s, i) => parseSink(s, i, dir));
  const seen = new Set<string>();
  for (const s of sinks) {
    if (seen.has(s.name)) fail(`sink "${s.name}"`, 'the name is used twice; each sink needs its own (it keys the saved cursor)');
    seen.add(s.name);
  }
  return Object.freeze(sinks.map((s) => Object.freeze(s)));
}

/** Reads and parses a sinks file. Throws SinkConfigError with a message for a person. */
export function loadSinksFile(path: string): readonly SinkConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(path, `cannot read the sinks file (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
  return parseSinks(text, dir);
}
