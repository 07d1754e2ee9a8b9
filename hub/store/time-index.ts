/**
 * The event-time index: two small entries per chunk so queries can walk a stream's chunks in
 * event-time order without touching chunk or meta values (docs/storage.md).
 *
 *   tmax  [streamId u32][maxTs f64 BE][groupFirstLseq u48] → [minTs f64 LE][n u32 LE]    (desc walks)
 *   tmin  [streamId u32][minTs f64 BE][groupFirstLseq u48] → [maxTs f64 LE][n u32 LE]    (asc walks)
 *
 * Event times are ≥ 0 (ingest rejects negative epochs), and a non-negative double's big-endian
 * bytes sort like its value, so LMDB's key order is time order. A stream also remembers the
 * widest chunk it ever had (`Stream.span` = max of maxTs − minTs): every chunk holding a record at
 * time T has maxTs ≤ T + span and minTs ≥ T − span, which bounds where a cursor seek starts.
 */
import type { Op, StoreDbs } from './state.js';

export const TIME_KEY_BYTES = 18;
const MAX_U48 = 2 ** 48 - 1;

/** Key of a chunk in `tmax` / `tmin`. */
export function timeKey(sid: number, ts: number, firstLseq: number): Buffer {
  const k = Buffer.allocUnsafe(TIME_KEY_BYTES);
  k.writeUInt32BE(sid, 0);
  k.writeDoubleBE(ts > 0 ? ts : 0, 4);
  k.writeUIntBE(Math.min(Math.max(firstLseq, 0), MAX_U48), 12, 6);
  return k;
}

/** One chunk as the time index describes it. */
export interface TimeEntry {
  sid: number;
  firstLseq: number;
  minTs: number;
  maxTs: number;
  n: number;
}

/** Decodes a `tmax` (`max` true) or `tmin` entry; undefined when malformed. */
export function parseTimeEntry(k: Uint8Array, v: Uint8Array, max: boolean): TimeEntry | undefined {
  if (k.length !== TIME_KEY_BYTES || v.length !== 12) return undefined;
  const kb = Buffer.from(k.buffer, k.byteOffset, k.length);
  const vb = Buffer.from(v.buffer, v.byteOffset, v.length);
  const keyTs = kb.readDoubleBE(4);
  const other = vb.readDoubleLE(0);
  return {
    sid: kb.readUInt32BE(0),
    firstLseq: kb.readUIntBE(12, 6),
    minTs: max ? other : keyTs,
    maxTs: max ? keyTs : other,
    n: vb.readUInt32LE(8),
  };
}

function value(ts: number, n: number): Buffer {
  const v = Buffer.allocUnsafe(12);
  v.writeDoubleLE(ts, 0);
  v.writeUInt32LE(n, 8);
  return v;
}

/** The ops that index a chunk (`n` > 0) or remove its entries (`n` = 0, same min/max as stored). */
export function timeIndexOps(dbs: StoreDbs, e: TimeEntry, remove = false): Op[] {
  const kMax = timeKey(e.sid, e.maxTs, e.firstLseq);
  const kMin = timeKey(e.sid, e.minTs, e.firstLseq);
  if (remove) return [{ db: dbs.tmax, key: kMax }, { db: dbs.tmin, key: kMin }];
  return [
    { db: dbs.tmax, key: kMax, value: value(e.minTs, e.n) },
    { db: dbs.tmin, key: kMin, value: value(e.maxTs, e.n) },
  ];
}

/** Range start/end keys of one stream in a time index, at time `ts`, lseq at the low or high end. */
export function timeSeek(sid: number, ts: number, high: boolean): Buffer {
  return timeKey(sid, Math.min(Math.max(ts, 0), Number.MAX_VALUE), high ? MAX_U48 : 0);
}
