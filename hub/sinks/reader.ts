/**
 * Reads a sink's next records from the store in receive order (by id), after its cursor and no
 * further than the newest durable id. Every record after the cursor is examined (the sink's
 * filter is applied here), because local lseqs are dense: a hole between two consecutive ones is
 * a record retention deleted before this sink saw it, counted as skipped (`deleted_unsent`).
 */
import type { WireRecord } from '../protocol/frames.js';
import { measureFields } from '../protocol/record.js';
import { ID_LENGTH, LSEQ_CHARS, parseId } from '../protocol/ids.js';
import { matchRecord, type RecordFilter } from '../filter/filter.js';
import type { Store } from '../store/types.js';

export interface ReadLimits {
  maxRecords: number;
  maxBytes: number;
  /** Stop after examining this many records (matching or not), to keep each read short. */
  maxExamined: number;
}

export interface ReadResult {
  records: WireRecord[];
  bytes: number;
  /** Last id examined (the new cursor once these records are delivered); undefined = nothing new. */
  lastId?: string;
  lastLseq: number;
  /** Records missing between the cursor and lastId (deleted before they were read). */
  gaps: number;
  /** True when a limit stopped the read before the newest durable record. */
  more: boolean;
}

const NO_FILTER: RecordFilter = {};

/** Rough encoded size of a record, to bound batches by bytes without encoding twice. */
export function approxBytes(r: WireRecord): number {
  let n = 96 + r.message.length + r.service.length + (r.host?.length ?? 0) + (r.file?.length ?? 0);
  if (r.fields) {
    const m = measureFields(r.fields, 1 << 30);
    n += typeof m === 'number' ? m : 1 << 16;
  }
  return n;
}

/** The local lseq in a well-formed id (its last LSEQ_CHARS base-32 digits); cheap, for every record read. */
export function idLseq(id: string): number {
  return parseInt(id.slice(ID_LENGTH - LSEQ_CHARS), 32);
}

/** The lseq a cursor id stands for on this hub (-1 = before everything). */
export function cursorLseq(cursor: string | undefined): number {
  return cursor === undefined ? -1 : (parseId(cursor)?.lseq ?? -1);
}

export function readAfter(store: Store, filter: RecordFilter, cursor: string | undefined, limits: ReadLimits, countFirstGap: boolean): ReadResult {
  const out: ReadResult = { records: [], bytes: 0, lastLseq: cursorLseq(cursor), gaps: 0, more: false };
  const upto = store.lastId();
  if (upto === undefined || (cursor !== undefined && upto <= cursor)) return out;
  const match = Object.keys(filter).length > 0;
  let examined = 0;
  let prev = out.lastLseq;
  let first = true;
  for (const r of store.query(NO_FILTER, { order: 'asc', after: cursor })) {
    if (r.id > upto) break;
    if (examined >= limits.maxExamined || out.records.length >= limits.maxRecords || out.bytes >= limits.maxBytes) {
      out.more = true;
      break;
    }
    examined++;
    const lseq = idLseq(r.id);
    if (lseq > prev + 1 && (countFirstGap || !first)) out.gaps += lseq - prev - 1;
    first = false;
    prev = lseq;
    out.lastId = r.id;
    out.lastLseq = lseq;
    if (match && !matchRecord(filter, r)) continue;
    out.records.push(r);
    out.bytes += approxBytes(r);
  }
  return out;
}
