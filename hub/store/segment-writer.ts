/**
 * Writes one log segment (log.ts, docs/storage.md): the entries of one append, either from
 * validated records or straight from the bytes of a shipper's frame (message and fields copied,
 * never decoded). The writer owns its buffer; `finish` hands it over.
 */
import { encode } from '../protocol/codec.js';
import type { ValidRecord } from '../protocol/record.js';
import { FLAG_FIELDS, FLAG_TRUNCATED, joinLogValue } from './log.js';
import { varintWidth, writeVarint, writeVarintPadded, zigzag } from './varint.js';

/** A finished segment: its bytes (count included) and each record's stream and event time. */
export interface Segment {
  bytes: Buffer;
  n: number;
  sids: Uint32Array;
  ts: Float64Array;
  /** Message bytes (or characters) in all, for the group size limit. */
  chars: number;
  /** Indices (ascending) of the append's records not in it: a stream limit refused them. */
  refused?: number[];
}

export class SegmentWriter {
  private buf: Buffer;
  private pos = 4;
  private prevTs = 0;
  private n = 0;
  private chars = 0;
  private sids: Uint32Array;
  private ts: Float64Array;

  /** `records` and `bytes`: what the segment will about hold (it grows when they were too few). */
  constructor(records: number, bytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, bytes + records * 16));
    this.sids = new Uint32Array(Math.max(1, records));
    this.ts = new Float64Array(Math.max(1, records));
  }

  get count(): number {
    return this.n;
  }

  /** One validated record of stream `sid`. */
  addRecord(r: ValidRecord, sid: number): void {
    const fields = r.fields ? encode(r.fields) : undefined;
    const maxMsg = r.message.length * 3;
    const width = maxMsg < 128 ? 1 : maxMsg < 16384 ? 2 : varintWidth(maxMsg);
    let pos = this.head(sid, r.ts, (r.truncated ? FLAG_TRUNCATED : 0) | (fields ? FLAG_FIELDS : 0), width + maxMsg + (fields ? fields.length + 8 : 0));
    const buf = this.buf;
    const start = pos + width;
    const len = buf.write(r.message, start, 'utf8');
    if (width === 1) buf[pos] = len;
    else writeVarintPadded(buf, pos, len, width);
    pos = start + len;
    if (fields) {
      pos = writeVarint(buf, pos, fields.length);
      pos += fields.copy(buf, pos);
    }
    this.pos = pos;
    this.chars += r.message.length;
  }

  /** One record of stream `sid` whose message (UTF-8) and fields (a MessagePack map; start -1 for none) are bytes of `src`. */
  addRaw(sid: number, ts: number, truncated: boolean, src: Uint8Array, msgStart: number, msgEnd: number, fieldsStart: number, fieldsEnd: number): void {
    const len = msgEnd - msgStart;
    const flen = fieldsStart < 0 ? 0 : fieldsEnd - fieldsStart;
    let pos = this.head(sid, ts, (truncated ? FLAG_TRUNCATED : 0) | (fieldsStart < 0 ? 0 : FLAG_FIELDS), len + flen + 16);
    const buf = this.buf;
    if (len < 128) buf[pos++] = len;
    else pos = writeVarint(buf, pos, len);
    buf.set(src.subarray(msgStart, msgEnd), pos);
    pos += len;
    if (fieldsStart >= 0) {
      pos = writeVarint(buf, pos, flen);
      buf.set(src.subarray(fieldsStart, fieldsEnd), pos);
      pos += flen;
    }
    this.pos = pos;
    this.chars += len;
  }

  /** The segment so far; the writer is spent. */
  finish(): Segment {
    this.buf.writeUInt32LE(this.n, 0);
    const bytes = this.buf.subarray(0, this.pos);
    return { bytes, n: this.n, sids: this.sids.subarray(0, this.n), ts: this.ts.subarray(0, this.n), chars: this.chars };
  }

  /** Writes an entry's stream, time and flags, with room for `rest` more bytes; returns where the rest goes. */
  private head(sid: number, ts: number, flags: number, rest: number): number {
    this.ensure(24 + rest);
    if (this.n === this.sids.length) this.growArrays();
    this.sids[this.n] = sid;
    this.ts[this.n++] = ts;
    const buf = this.buf;
    let pos = this.pos;
    if (sid < 128) buf[pos++] = sid;
    else pos = writeVarint(buf, pos, sid);
    const dTs = zigzag(ts - this.prevTs);
    if (dTs < 128) buf[pos++] = dTs;
    else pos = writeVarint(buf, pos, dTs);
    this.prevTs = ts;
    buf[pos++] = flags;
    return pos;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private growArrays(): void {
    const sids = new Uint32Array(this.sids.length * 2);
    sids.set(this.sids);
    const ts = new Float64Array(this.ts.length * 2);
    ts.set(this.ts);
    this.sids = sids;
    this.ts = ts;
  }
}

/** One append's records as a log segment's bytes: `records[i]` belongs to stream `sids[i]`. */
export function encodeLogSegment(records: readonly ValidRecord[], sids: ArrayLike<number>): Buffer {
  let chars = 0;
  for (const r of records) chars += r.message.length;
  const w = new SegmentWriter(records.length, chars * 2);
  for (let i = 0; i < records.length; i++) w.addRecord(records[i], sids[i]);
  return w.finish().bytes;
}

/** A group's log value of one segment: `records[i]` belongs to stream `sids[i]`. */
export function encodeLogValue(rts: number, records: readonly ValidRecord[], sids: ArrayLike<number>): Buffer {
  return joinLogValue(rts, records.length, [encodeLogSegment(records, sids)]);
}
