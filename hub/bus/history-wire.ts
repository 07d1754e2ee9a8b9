/**
 * Wire format of cluster history requests and replies (MessagePack via the shared codec).
 *
 *   request  { f: WireFilter, order: 'asc'|'desc', by?: 'event'|'receive', afterTs?: ms (by event: cursor (afterTs, after)), after?: id, limit: n, maxBytes: n }
 *   reply    { records: WireRecord[], more: boolean }
 *
 * The filter travels as the filter the asking hub already parsed (absolute times, label sets,
 * regex sources), not as raw query parameters: every hub then applies exactly the same filter,
 * relative times (`15m`) are not re-evaluated on another clock, and routes that build filters
 * from their own parameters (e.g. /hosts/:host/logs?filter=) are answered the same way by every
 * hub. The answering hub recompiles `regex` through `compilePattern` (linear-time RE2) and
 * rebuilds the `q` matcher from the literal, so no peer can hand it a backtracking pattern.
 * `more` is true when the answer was cut to fit `maxBytes`.
 */
import { decode, encode } from '../protocol/codec.js';
import type { WireRecord } from '../protocol/frames.js';
import type { Severity } from '../protocol/severity.js';
import { substringMatcher, type RecordFilter } from '../filter/filter.js';
import { compilePattern } from '../protocol/pattern.js';
import { isWireFilter } from './peer-input.js';

export interface WireFilter {
  services?: string[];
  severities?: Severity[];
  hosts?: string[];
  files?: string[];
  from?: number;
  to?: number;
  receivedFrom?: number;
  receivedTo?: number;
  q?: string;
  qSource?: string;
  regex?: string;
}

export interface HistoryRequest {
  f: WireFilter;
  order: 'asc' | 'desc';
  /** Sort key (absent: receive order); with `event`, the cursor is (afterTs, after). */
  by?: 'event' | 'receive';
  after?: string;
  afterTs?: number;
  limit: number;
  maxBytes: number;
}

export interface HistoryReply {
  records: WireRecord[];
  more: boolean;
}

export function filterToWire(f: RecordFilter): WireFilter {
  const w: WireFilter = {};
  if (f.services) w.services = [...f.services];
  if (f.severities) w.severities = [...f.severities];
  if (f.hosts) w.hosts = [...f.hosts];
  if (f.files) w.files = [...f.files];
  for (const k of ['from', 'to', 'receivedFrom', 'receivedTo'] as const) if (f[k] !== undefined) w[k] = f[k];
  if (f.q !== undefined) w.q = f.q;
  if (f.qRegex) w.qSource = f.qRegex.source;
  if (f.regex) w.regex = f.regex.source;
  return w;
}

export function filterFromWire(w: WireFilter): { ok: true; filter: RecordFilter } | { ok: false; message: string } {
  const f: RecordFilter = {};
  if (w.services) f.services = new Set(w.services);
  if (w.severities) f.severities = new Set(w.severities);
  if (w.hosts) f.hosts = new Set(w.hosts);
  if (w.files) f.files = new Set(w.files);
  for (const k of ['from', 'to', 'receivedFrom', 'receivedTo'] as const) if (typeof w[k] === 'number') f[k] = w[k];
  if (typeof w.q === 'string') {
    f.q = w.q;
    // qSource (sent for older hubs) is ignored: a peer could put any pattern there.
    f.qRegex = substringMatcher(w.q);
  }
  if (typeof w.regex === 'string') {
    const c = compilePattern(w.regex);
    if (!c.ok) return { ok: false, message: c.message };
    f.regex = c.pattern;
  }
  return { ok: true, filter: f };
}

export function encodeRequest(r: HistoryRequest): Uint8Array {
  return encode(r);
}

/** Longest `after` cursor a peer may send. */
const MAX_CURSOR_CHARS = 256;

/** Decodes a peer's request; undefined unless every field is well-formed (peer-input.ts). */
export function decodeRequest(bytes: Uint8Array): HistoryRequest | undefined {
  const d = decode(bytes);
  if (!d.ok) return undefined;
  const v = d.value as Partial<HistoryRequest> | null;
  if (!v || typeof v !== 'object' || !isWireFilter(v.f)) return undefined;
  if (v.order !== 'asc' && v.order !== 'desc') return undefined;
  if (!Number.isSafeInteger(v.limit) || v.limit! < 1 || !Number.isSafeInteger(v.maxBytes) || v.maxBytes! < 1) return undefined;
  if (v.after !== undefined && (typeof v.after !== 'string' || v.after.length > MAX_CURSOR_CHARS)) return undefined;
  if (v.by !== undefined && v.by !== 'event' && v.by !== 'receive') return undefined;
  if (v.afterTs !== undefined && !Number.isSafeInteger(v.afterTs)) return undefined;
  if (v.by === 'event' && v.after !== undefined && v.afterTs === undefined) return undefined;
  return { f: v.f, order: v.order, by: v.by, after: v.after, afterTs: v.afterTs, limit: v.limit!, maxBytes: v.maxBytes! };
}

/** Bytes of a reply map and its array header, beyond the records themselves. */
const REPLY_OVERHEAD_BYTES = 32;

/**
 * Encodes as many of `records` (in order) as fit in `maxBytes`: each record is measured once,
 * then the kept prefix is encoded once.
 */
export function encodeReplyWithin(records: WireRecord[], maxBytes: number): Uint8Array {
  let total = REPLY_OVERHEAD_BYTES;
  let fit = 0;
  while (fit < records.length) {
    total += encode(records[fit]).byteLength;
    if (total > maxBytes) break;
    fit++;
  }
  return encode({ records: fit === records.length ? records : records.slice(0, fit), more: fit < records.length } satisfies HistoryReply);
}

export function decodeReply(bytes: Uint8Array): HistoryReply | undefined {
  const d = decode(bytes);
  if (!d.ok) return undefined;
  const v = d.value as Partial<HistoryReply> | null;
  if (!v || typeof v !== 'object' || !Array.isArray(v.records)) return undefined;
  // The records are unchecked here: the caller validates each one (peer-input.ts).
  return { records: v.records, more: v.more === true };
}
