/**
 * Query-parameter parsing for the §5 read endpoints: which names each endpoint accepts, `limit`,
 * `order`, `before`, and the opaque paging cursor. Every failure is a HubError 400 that names the
 * parameter, so clients learn exactly what to fix. Pure functions; no I/O.
 *
 * Cursor format (opaque to clients, may change between versions; docs/http-api.md "Paging"),
 * base64url of one of:
 *   `2<order>:<ts>:<id>`  an event-time listing (GET /logs): continue after the record with event
 *                         time `<ts>` (epoch ms) and id `<id>`, in (timestamp, id) order;
 *   `1<order>:<id>`       a receive-order listing (GET /logs?after=<id>): continue after that id.
 * `<order>` is `a` or `d`; the position is the last record of the page the cursor came with.
 * Both orders are total (ties in timestamp go by id), so "continue after this record" yields every
 * match exactly once, even while records keep arriving.
 */
import { isValidId } from '../protocol/ids.js';
import { badParam } from '../errors.js';
import { parseTime } from '../protocol/time.js';

/** Filter parameters of GET /logs and /v1/tail, with the aliases the reference clients send. */
export const FILTER_PARAMS = [
  'service', 'severity', 'host', 'file', 'q', 'regex',
  'from', 'to', 'received_from', 'received_to',
  'timestamp_start', 'timestamp_end', 'received_at_start', 'received_at_end', 'since', 'until',
] as const;

/** Accepted everywhere: browsers cannot set headers on EventSource/WebSocket. */
export const AUTH_PARAM = 'token';

export const LOGS_PARAMS: ReadonlySet<string> = new Set([...FILTER_PARAMS, 'limit', 'order', 'cursor', 'after', AUTH_PARAM]);
export const SERVICE_LOGS_PARAMS: ReadonlySet<string> = new Set([...FILTER_PARAMS.filter((p) => p !== 'service'), 'limit', 'order', AUTH_PARAM]);
export const DELETE_PARAMS: ReadonlySet<string> = new Set(['before', AUTH_PARAM]);
export const HOST_LOGS_PARAMS: ReadonlySet<string> = new Set([
  'filter', 'count', 'file', 'service', 'severity', 'q', 'regex', 'from', 'to', 'timestamp_start', 'timestamp_end', 'since', 'until', 'order', AUTH_PARAM,
]);
export const NO_PARAMS: ReadonlySet<string> = new Set([AUTH_PARAM]);

export { DEFAULT_PAGE_LIMIT as DEFAULT_LIMIT, MAX_PAGE_LIMIT as MAX_LIMIT } from '../protocol/programs.js';

/** Throws a 400 naming the first parameter that `allowed` does not contain. */
export function rejectUnknownParams(query: URLSearchParams, allowed: ReadonlySet<string>): void {
  for (const name of query.keys()) {
    if (!allowed.has(name)) {
      const list = [...allowed].filter((p) => p !== AUTH_PARAM).join(', ');
      throw badParam(name, `unknown query parameter "${name}"${list ? `; this endpoint takes ${list}` : '; this endpoint takes none'}`);
    }
  }
}

/** The single value of a parameter, or undefined when absent; repeated values are a 400. */
export function single(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  if (all.length > 1) throw badParam(name, `"${name}" was given ${all.length} times; give it once`);
  return all[0];
}

/**
 * A positive whole number no larger than `max` (`max` undefined = no cap, for streamed exports).
 * Missing or empty → `def`.
 */
export function parseLimit(raw: string | undefined, name: string, def: number, max: number | undefined): number {
  if (raw === undefined || raw.trim() === '') return def;
  const s = raw.trim();
  if (!/^\d{1,15}$/.test(s)) throw badParam(name, `${name} "${raw}" is not a whole number; use 1..${max ?? 'any'}`);
  const n = Number(s);
  if (n < 1) throw badParam(name, `${name} must be at least 1, got ${s}`);
  if (max !== undefined && n > max) {
    throw badParam(name, `${name} ${s} is over the maximum of ${max}; page with next_cursor, or stream every match with Accept: application/x-ndjson`);
  }
  return n;
}

export type Order = 'asc' | 'desc';

export function parseOrder(raw: string | undefined, def: Order): Order {
  if (raw === undefined || raw === '') return def;
  const s = raw.trim().toLowerCase();
  if (s === 'asc' || s === 'desc') return s;
  throw badParam('order', `order "${raw}" must be asc (oldest first) or desc (newest first)`);
}

/** A required time (ISO 8601, epoch, or relative such as 7d) for `before`-style parameters. */
export function parseRequiredTime(raw: string | undefined, name: string, nowMs = Date.now()): number {
  if (raw === undefined || raw.trim() === '') {
    throw badParam(name, `${name} is required: a time such as 2025-01-01T00:00:00 or a relative time such as 7d`);
  }
  const t = parseTime(raw, nowMs);
  if (t === undefined) throw badParam(name, `${name} "${raw}" is not a time; use ISO 8601 (2025-01-01T00:00:00Z) or a relative time such as 15m, 2h, 7d`);
  return t;
}

/** What a listing is sorted by: event time (then id), or receive order (id). */
export type SortKey = 'event' | 'receive';

export interface Cursor {
  /** Exclusive: the page continues with the record after this one (in `order`). */
  id: string;
  order: Order;
  by: SortKey;
  /** Event time of that record (by event only). */
  ts?: number;
}

const CURSOR_VERSION = '1';
const EVENT_CURSOR_VERSION = '2';
/** Ids are short, URL-safe tokens; anything else in a cursor is a forgery or a truncation. */

export function encodeCursor(c: Cursor): string {
  const o = c.order === 'asc' ? 'a' : 'd';
  const text = c.by === 'event' ? `${EVENT_CURSOR_VERSION}${o}:${c.ts}:${c.id}` : `${CURSOR_VERSION}${o}:${c.id}`;
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Decodes a cursor from a previous response; undefined when it is not one. */
export function decodeCursor(raw: string): Cursor | undefined {
  if (raw.length === 0 || raw.length > 160 || !/^[A-Za-z0-9_-]+$/.test(raw)) return undefined;
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const ev = /^2([ad]):(\d{1,16}):(.+)$/.exec(text);
  if (ev) {
    const ts = Number(ev[2]);
    if (!Number.isSafeInteger(ts) || !isValidId(ev[3])) return undefined;
    return { order: ev[1] === 'a' ? 'asc' : 'desc', id: ev[3], by: 'event', ts };
  }
  const m = /^1([ad]):(.+)$/.exec(text);
  if (!m || !isValidId(m[2])) return undefined;
  return { order: m[1] === 'a' ? 'asc' : 'desc', id: m[2], by: 'receive' };
}

/** Where a page starts: its order, sort key and the exclusive position (id, and ts by event). */
export interface Paging {
  order: Order;
  by: SortKey;
  after?: string;
  afterTs?: number;
}

/**
 * Resolves where a page starts and in which order, from `order`, `cursor` and `after` (a raw
 * record id, since ids are documented as usable as cursors: that listing goes by receive order,
 * as a live tail's `after=` does). Without either, listings go by event time. A cursor carries its
 * order; an explicit `order` that contradicts it is a 400 rather than a silently different sequence.
 */
export function parsePaging(query: URLSearchParams, defOrder: Order): Paging {
  const orderRaw = single(query, 'order');
  const cursorRaw = single(query, 'cursor');
  const afterRaw = single(query, 'after');
  if (cursorRaw !== undefined && cursorRaw !== '' && afterRaw !== undefined && afterRaw !== '') {
    throw badParam('after', 'give either cursor or after, not both');
  }
  if (cursorRaw !== undefined && cursorRaw !== '') {
    const c = decodeCursor(cursorRaw);
    if (!c) throw badParam('cursor', 'cursor is not one this hub handed out; pass next_cursor from the previous page unchanged');
    if (orderRaw !== undefined && orderRaw !== '' && parseOrder(orderRaw, defOrder) !== c.order) {
      throw badParam('order', `order contradicts the cursor, which continues a ${c.order} listing; drop order or start again without cursor`);
    }
    return { order: c.order, by: c.by, after: c.id, afterTs: c.ts };
  }
  const order = parseOrder(orderRaw, defOrder);
  if (afterRaw !== undefined && afterRaw !== '') {
    if (!isValidId(afterRaw)) throw badParam('after', `after "${afterRaw.slice(0, 80)}" is not a record id`);
    return { order, by: 'receive', after: afterRaw };
  }
  return { order, by: 'event' };
}
