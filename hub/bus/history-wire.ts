/**
 * Wire format of cluster history requests and replies (MessagePack via the shared codec).
 *
 *   request  { f: WireFilter, order: 'asc'|'desc', by?: 'event'|'receive', after?: id, afterTs?: ms, limit: n, maxBytes: n }
 *            (by absent = receive order, as before event-time listings existed)
 *   reply    { records: WireRecord[], more: boolean }
 *
 * The filter travels as the filter the asking hub already parsed (absolute times, label sets,
 * regex sources), not as raw query parameters: every hub then applies exactly the same filter,
 * relative times (`15m`) are not re-evaluated on another clock, and routes that build filters
 * from their own parameters (e.g. /hosts/:host/logs?filter=) are answered the same way by every
 * hub. The answering hub recompiles `regex` through `compileRegex`, so the catastrophic-pattern
 * guard applies there too. `more` is true when the answer was cut to fit `maxBytes`.
 */
import { decode, encode } from '../protocol/codec.js';
import type { WireRecord } from '../protocol/frames.js';
import type { Severity } from '../protocol/severity.js';
import { compileRegex, type RecordFilter } from '../filter/filter.js';

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
  if (f.regex) w.regex = (f.regex.flags.includes('i') ? '(?i)' : '') + f.regex.source;
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
    const escaped = typeof w.qSource === 'string' ? w.qSource : w.q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // qSource is an escaped literal made by parseFilter; compile it through the guard anyway.
    const c = compileRegex(`(?i)${escaped}`);
    if (!c.ok) return { ok: false, message: c.message };
    f.qRegex = c.regex;
  }
  if (typeof w.regex === 'string') {
    const c = compileRegex(w.regex);
    if (!c.ok) return { ok: false, message: c.message };
    f.regex = c.regex;
  }
  return { ok: true, filter: f };
}

export function encodeRequest(r: HistoryRequest): Uint8Array {
  return encode(r);
}

export function decodeRequest(bytes: Uint8Array): HistoryRequest | undefined {
  const d = decode(bytes);
  if (!d.ok) return undefined;
  const v = d.value as Partial<HistoryRequest> | null;
  if (!v || typeof v !== 'object' || typeof v.f !== 'object' || v.f === null) return undefined;
  if (v.order !== 'asc' && v.order !== 'desc') return undefined;
  if (typeof v.limit !== 'number' || typeof v.maxBytes !== 'number') return undefined;
  if (v.after !== undefined && typeof v.after !== 'string') return undefined;
  if (v.by !== undefined && v.by !== 'event' && v.by !== 'receive') return undefined;
  if (v.afterTs !== undefined && !Number.isFinite(v.afterTs)) return undefined;
  if (v.by === 'event' && v.after !== undefined && v.afterTs === undefined) return undefined;
  return v as HistoryRequest;
}

/** Encodes as many of `records` (in order) as fit in `maxBytes`. */
export function encodeReplyWithin(records: WireRecord[], maxBytes: number): Uint8Array {
  let bytes = encode({ records, more: false } satisfies HistoryReply);
  if (bytes.byteLength <= maxBytes) return bytes;
  // Binary search on how many records fit; each probe encodes once (answers are ≤ limit records).
  let lo = 0;
  let hi = records.length - 1;
  let best: Uint8Array = encode({ records: [], more: true } satisfies HistoryReply);
  while (lo <= hi) {
    const mid = (lo + hi + 1) >> 1;
    bytes = encode({ records: records.slice(0, mid), more: true } satisfies HistoryReply);
    if (bytes.byteLength <= maxBytes) {
      best = bytes;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
    if (mid === 0) break;
  }
  return best;
}

export function decodeReply(bytes: Uint8Array): HistoryReply | undefined {
  const d = decode(bytes);
  if (!d.ok) return undefined;
  const v = d.value as Partial<HistoryReply> | null;
  if (!v || typeof v !== 'object' || !Array.isArray(v.records)) return undefined;
  return { records: v.records, more: v.more === true };
}
