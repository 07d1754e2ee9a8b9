/**
 * The write-ahead log: one LMDB value per commit group, holding that group's validated records in
 * lseq order. Ingest acks once a group's log value (with the shippers' seqs) is committed and
 * fsynced; the indexer (indexer.ts) later turns each log value into chunks and removes it, in one
 * transaction. Format described in docs/storage.md.
 *
 * `log` key: [groupFirstLseq u48 BE] (6 bytes). Value, format 2:
 *
 *   u8      format = 2
 *   f64 LE  rts                        the group's receive time (shared by all its records)
 *   u32 LE  n                          records in the group
 *   segments, one per append (batch) of the group, in order, together holding n records:
 *     u32 LE  m                        records in this segment
 *     m × {
 *       varint  streamId               the record's labels (`streams` db); defined in the same or an earlier txn
 *       varint  zigzag(ts - prevTs)    event time, epoch ms (prevTs starts at 0 in each segment)
 *       u8      flags                  1 = truncated, 2 = has fields (as in chunks, chunk.ts)
 *       varint  message bytes, then the UTF-8 message
 *       [varint fields bytes, fields as MessagePack map]   when flags & 2
 *     }
 *
 * Each append is encoded into its segment when it arrives, so a batch waiting for its commit holds
 * bytes, not objects. Format 1 (written before) is one segment without its count.
 *
 * A record's entry is byte-for-byte a chunk entry with the stream id in place of the offset delta,
 * so the indexer copies message and fields bytes into chunks without decoding them.
 */
import { decode } from '../protocol/codec.js';
import { StoreCorruptError } from './store-error.js';
import type { Cursor } from './varint.js';
import { readVarint } from './varint.js';
import { nextRawTs, storedTs } from './stored-ts.js';

const LOG_FORMAT = 2;
/** Groups logged before segments: one run of n entries after the header. */
const LOG_FORMAT_SINGLE_RUN = 1;
/** Bytes before the first record of a log value. */
export const LOG_HEADER_BYTES = 13;
export const LOG_KEY_BYTES = 6;
export const FLAG_TRUNCATED = 1;
export const FLAG_FIELDS = 2;

/** Key of the log value of the group starting at `firstLseq`. */
export function logKey(firstLseq: number): Buffer {
  const k = Buffer.allocUnsafe(LOG_KEY_BYTES);
  k.writeUIntBE(firstLseq, 0, LOG_KEY_BYTES);
  return k;
}

/** The first lseq named by a log key; undefined when it has the wrong size. */
export function parseLogKey(k: Uint8Array): number | undefined {
  if (k.length !== LOG_KEY_BYTES) return undefined;
  return Buffer.from(k.buffer, k.byteOffset, k.length).readUIntBE(0, LOG_KEY_BYTES);
}

/** A group's log value from its segments (`n` records in all). */
export function joinLogValue(rts: number, n: number, segments: readonly Buffer[]): Buffer {
  let size = LOG_HEADER_BYTES;
  for (const seg of segments) size += seg.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = LOG_FORMAT;
  out.writeDoubleLE(rts, 1);
  out.writeUInt32LE(n, 9);
  let pos = LOG_HEADER_BYTES;
  for (const seg of segments) pos += seg.copy(out, pos);
  return out;
}

/**
 * A parsed log value: per record its stream, event time, flags and the byte ranges of message
 * and fields inside `buf`. Strings are built only on demand.
 */
export class LogView {
  readonly rts: number;
  readonly n: number;
  readonly sids: Uint32Array;
  readonly ts: Float64Array;
  readonly flags: Uint8Array;
  /** Per record: message start, message end, fields start, fields end (0, 0 without fields). */
  readonly pos: Int32Array;

  constructor(readonly buf: Buffer) {
    const format = buf[0];
    if (buf.length < LOG_HEADER_BYTES || (format !== LOG_FORMAT && format !== LOG_FORMAT_SINGLE_RUN)) throw new StoreCorruptError('log entry has an unknown format');
    this.rts = buf.readDoubleLE(1);
    const n = buf.readUInt32LE(9);
    if (n > buf.length) throw new StoreCorruptError('log entry record count exceeds its size');
    this.n = n;
    this.sids = new Uint32Array(n);
    this.ts = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.pos = new Int32Array(n * 4);
    const c: Cursor = { pos: LOG_HEADER_BYTES };
    try {
      if (format === LOG_FORMAT_SINGLE_RUN) this.parseRun(c, 0, n);
      for (let i = 0; format === LOG_FORMAT && i < n; ) {
        if (c.pos + 4 > buf.length) throw new RangeError('segment header runs past the end');
        const m = buf.readUInt32LE(c.pos);
        c.pos += 4;
        if (m === 0 || i + m > n) throw new RangeError('segment counts do not add up to the group');
        this.parseRun(c, i, m);
        i += m;
      }
      if (c.pos !== buf.length) throw new RangeError('bytes after the last record');
    } catch (err) {
      throw new StoreCorruptError(`log entry does not decode (${(err as Error).message})`, { cause: err });
    }
  }

  /** Parses `m` entries from `c` as records first..first+m-1 (event times chained from 0). */
  private parseRun(c: Cursor, first: number, m: number): void {
    const buf = this.buf;
    let ts = 0;
    for (let i = first; i < first + m; i++) {
      this.sids[i] = readVarint(buf, c);
      ts = nextRawTs(ts, readVarint(buf, c));
      this.ts[i] = storedTs(ts);
      if (c.pos >= buf.length) throw new RangeError('record runs past the end');
      const flags = (this.flags[i] = buf[c.pos++]);
      const len = readVarint(buf, c);
      this.pos[i * 4] = c.pos;
      c.pos += len;
      this.pos[i * 4 + 1] = c.pos;
      if (flags & FLAG_FIELDS) {
        const flen = readVarint(buf, c);
        this.pos[i * 4 + 2] = c.pos;
        c.pos += flen;
        this.pos[i * 4 + 3] = c.pos;
      }
      if (c.pos > buf.length) throw new RangeError('record runs past the end');
    }
  }

  message(i: number): string {
    return this.buf.toString('utf8', this.pos[i * 4], this.pos[i * 4 + 1]);
  }

  /** The record's body (labels come from its stream). */
  body(i: number, message = this.message(i)): { ts: number; message: string; fields?: Record<string, unknown>; truncated?: true } {
    const b: { ts: number; message: string; fields?: Record<string, unknown>; truncated?: true } = { ts: this.ts[i], message };
    if (this.flags[i] & FLAG_FIELDS) {
      const d = decode(this.buf.subarray(this.pos[i * 4 + 2], this.pos[i * 4 + 3]));
      if (!d.ok || d.value === null || typeof d.value !== 'object') throw new StoreCorruptError('log record fields do not decode');
      b.fields = d.value as Record<string, unknown>;
    }
    if (this.flags[i] & FLAG_TRUNCATED) b.truncated = true;
    return b;
  }
}
