/**
 * Chunk codec: the records of one stream within one commit group, as one LMDB value, plus the
 * chunk's small meta value (kept in a separate db so range scans never touch record bytes).
 *
 * Chunk value, format 1 (labels are the stream's, never repeated; LMDB may LZ4-compress it):
 *
 *   u8      format = 1
 *   varint  n                         records in the chunk
 *   n × {
 *     varint  offset delta            lseq - groupFirstLseq, as a delta from the previous record's
 *     varint  zigzag(ts - prevTs)     event time, epoch ms (prevTs starts at 0)
 *     u8      flags                   1 = truncated, 2 = has fields
 *     varint  message bytes           (may be zero-padded LEB128), then the UTF-8 message
 *     [varint fields bytes, fields as MessagePack map]   when flags & 2
 *   }
 *
 * Chunk meta, format 1 (fixed 40-byte header, then the trigram bitmap, see trigram.ts):
 *
 *   0 u8 format = 1 | 1 u8 bitmap log2 | 2 u16 min(first offset, 65535) (a lower bound; 0 is valid)
 *   4 u32 n | 8 f64 minTs | 16 f64 maxTs
 *   24 f64 rts | 32 u32 lastOffset (last lseq - groupFirstLseq) | 36 u32 value bytes (uncompressed)
 *   40 bitmap: 2^log2 bits
 */
import { decode } from '../protocol/codec.js';
import { nextRawTs, storedBounds, storedTs } from './stored-ts.js';
import type { ValidRecord } from '../protocol/record.js';
import { StoreCorruptError } from './store-error.js';
import type { Sketch } from './trigram.js';
import { CHUNK_MAX_BITS_LOG2, addTrigrams, bitsLog2For, newSketch } from './trigram.js';
import type { Cursor } from './varint.js';
import { readVarint, writeVarint, zigzag } from './varint.js';
import { FLAG_FIELDS, FLAG_TRUNCATED, LogView } from './log.js';
import { encodeLogValue } from './segment-writer.js';

const CHUNK_FORMAT = 1;
const META_FORMAT = 1;
/** Bytes before the bitmap in a chunk meta value. */
export const META_HEADER_BYTES = 40;

const SCRATCH_KEEP_BYTES = 1 << 20;
let scratch = Buffer.allocUnsafe(SCRATCH_KEEP_BYTES);
let ranges = new Int32Array(4096);

function ensure(pos: number, extra: number): void {
  if (pos + extra <= scratch.length) return;
  const next = Buffer.allocUnsafe(Math.max(scratch.length * 2, pos + extra));
  scratch.copy(next, 0, 0, pos);
  scratch = next;
}

/** A chunk ready to store. */
export interface EncodedChunk {
  value: Buffer;
  meta: Buffer;
  n: number;
  minTs: number;
  maxTs: number;
  /** The chunk's trigram bitmap (also inside `meta`). */
  sketch: Sketch;
}

/**
 * Encodes the records at `positions` (increasing lseq offsets into `records`, the whole group)
 * and fills the chunk's trigram bitmap and, when given, the group's. (Used for rewrites; new
 * chunks come straight from the log, `encodeChunkFromLog`.)
 */
export function encodeChunk(records: readonly ValidRecord[], positions: readonly number[], rts: number, group?: Sketch): EncodedChunk {
  const picked = positions.map((p) => records[p]);
  const view = new LogView(encodeLogValue(rts, picked, new Uint32Array(picked.length)));
  return encodeChunkFromLog(view, picked.map((_, i) => i), positions, group);
}

/**
 * Encodes log records `idx` (indexes into `view`) as one chunk whose records have group offsets
 * `offsets` (increasing). Message and fields bytes are copied, never decoded; the trigram bitmaps
 * are computed over the copied message bytes.
 */
export function encodeChunkFromLog(view: LogView, idx: readonly number[], offsets: readonly number[], group?: Sketch): EncodedChunk {
  const n = idx.length;
  if (ranges.length < n * 2) ranges = new Int32Array(n * 2);
  const src = view.buf;
  const vpos = view.pos;
  let pos = 0;
  ensure(0, 16);
  scratch[pos++] = CHUNK_FORMAT;
  pos = writeVarint(scratch, pos, n);
  let prevOff = 0;
  let prevTs = 0;
  let minTs = Infinity;
  let maxTs = -Infinity;
  let textBytes = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    const off = offsets[k];
    const ts = view.ts[i];
    const ms = vpos[i * 4];
    const len = vpos[i * 4 + 1] - ms;
    const fieldsLen = vpos[i * 4 + 3] - vpos[i * 4 + 2];
    ensure(pos, 40 + len + fieldsLen);
    const dOff = off - prevOff;
    if (dOff < 128) scratch[pos++] = dOff;
    else pos = writeVarint(scratch, pos, dOff);
    const dTs = zigzag(ts - prevTs);
    if (dTs < 128) scratch[pos++] = dTs;
    else pos = writeVarint(scratch, pos, dTs);
    const flags = view.flags[i];
    scratch[pos++] = flags;
    if (len < 128) scratch[pos++] = len;
    else pos = writeVarint(scratch, pos, len);
    src.copy(scratch, pos, ms, ms + len);
    ranges[k * 2] = pos;
    ranges[k * 2 + 1] = pos + len;
    pos += len;
    textBytes += len;
    if (flags & FLAG_FIELDS) {
      pos = writeVarint(scratch, pos, fieldsLen);
      src.copy(scratch, pos, vpos[i * 4 + 2], vpos[i * 4 + 3]);
      pos += fieldsLen;
    }
    prevOff = off;
    prevTs = ts;
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
  }
  const value = Buffer.from(scratch.subarray(0, pos));
  if (scratch.length > SCRATCH_KEEP_BYTES) scratch = Buffer.allocUnsafe(SCRATCH_KEEP_BYTES); // give back a rare huge chunk's buffer
  const sketch = newSketch(bitsLog2For(textBytes, CHUNK_MAX_BITS_LOG2));
  for (let k = 0; k < n; k++) addTrigrams(value, ranges[k * 2], ranges[k * 2 + 1], sketch, group);
  const meta = encodeMeta({ n, minTs, maxTs, rts: view.rts, firstOffsetBound: Math.min(offsets[0] ?? 0, 65535), lastOffset: prevOff, valueBytes: value.length }, sketch);
  return { value, meta, n, minTs, maxTs, sketch };
}

/** One decoded record of a chunk (labels, id and rts come from the stream and group). */
export interface ChunkEntry {
  offset: number;
  ts: number;
  message: string;
  fields?: Record<string, unknown>;
  truncated?: true;
}

/** Decides from time and message alone whether an entry is wanted (fields are decoded only then). */
export type EntryTest = (ts: number, message: string) => boolean;

/**
 * A parsed chunk: record structure in typed arrays, strings and fields materialized only on demand
 * (a query that merges many chunks but yields 100 records builds 100 objects).
 */
export class ChunkView {
  readonly n: number;
  readonly offsets: Float64Array;
  readonly ts: Float64Array;
  private readonly pos: Int32Array; // per record: message start, message end, fields start, fields end
  private readonly flags: Uint8Array;

  constructor(private readonly buf: Buffer) {
    if (buf.length < 2 || buf[0] !== CHUNK_FORMAT) throw new StoreCorruptError(`unknown chunk format ${buf[0]}`);
    const c: Cursor = { pos: 1 };
    const n = readVarint(buf, c);
    if (n > buf.length) throw new StoreCorruptError('chunk record count exceeds its size');
    this.n = n;
    this.offsets = new Float64Array(n);
    this.ts = new Float64Array(n);
    this.pos = new Int32Array(n * 4);
    this.flags = new Uint8Array(n);
    let off = 0;
    let ts = 0;
    for (let i = 0; i < n; i++) {
      off += readVarint(buf, c);
      ts = nextRawTs(ts, readVarint(buf, c));
      if (c.pos >= buf.length) throw new RangeError('record runs past the end of the chunk');
      const flags = buf[c.pos++];
      const len = readVarint(buf, c);
      const end = c.pos + len;
      if (end > buf.length) throw new RangeError('message runs past the end of the chunk');
      this.offsets[i] = off;
      this.ts[i] = storedTs(ts);
      this.flags[i] = flags;
      this.pos[i * 4] = c.pos;
      this.pos[i * 4 + 1] = end;
      c.pos = end;
      if (flags & FLAG_FIELDS) {
        const flen = readVarint(buf, c);
        this.pos[i * 4 + 2] = c.pos;
        this.pos[i * 4 + 3] = c.pos + flen;
        c.pos += flen;
        if (c.pos > buf.length) throw new RangeError('fields run past the end of the chunk');
      }
    }
  }

  message(i: number): string {
    return this.buf.toString('utf8', this.pos[i * 4], this.pos[i * 4 + 1]);
  }

  /** The whole entry; throws StoreCorruptError when its fields do not decode. */
  entry(i: number, message = this.message(i)): ChunkEntry {
    const e: ChunkEntry = { offset: this.offsets[i], ts: this.ts[i], message };
    const flags = this.flags[i];
    if (flags & FLAG_FIELDS) {
      const d = decode(this.buf.subarray(this.pos[i * 4 + 2], this.pos[i * 4 + 3]));
      if (!d.ok || d.value === null || typeof d.value !== 'object') throw new StoreCorruptError('record fields do not decode');
      e.fields = d.value as Record<string, unknown>;
    }
    if (flags & FLAG_TRUNCATED) e.truncated = true;
    return e;
  }
}

/** Parses a chunk value. Throws StoreCorruptError when it does not parse. */
export function parseChunk(buf: Uint8Array): ChunkView {
  try {
    return new ChunkView(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length));
  } catch (err) {
    if (err instanceof StoreCorruptError) throw err;
    throw new StoreCorruptError(`chunk does not decode (${(err as Error).message})`, { cause: err });
  }
}

/** Decodes every entry of a chunk (those `accept` keeps). Throws StoreCorruptError when it does not decode. */
export function decodeChunk(buf: Uint8Array, accept?: EntryTest): ChunkEntry[] {
  const v = parseChunk(buf);
  const out: ChunkEntry[] = [];
  for (let i = 0; i < v.n; i++) {
    const msg = v.message(i);
    if (accept && !accept(v.ts[i], msg)) continue;
    out.push(v.entry(i, msg));
  }
  return out;
}

/** The decoded header of a chunk meta value; the bitmap stays in `buf` at META_HEADER_BYTES. */
export interface ChunkMeta {
  n: number;
  minTs: number;
  maxTs: number;
  rts: number;
  /** ≤ the first record's offset (exact below 65535). */
  firstOffsetBound: number;
  lastOffset: number;
  valueBytes: number;
  log2: number;
  buf: Uint8Array;
}

/** Encodes a chunk meta value (format in the header). */
export function encodeMeta(m: Omit<ChunkMeta, 'log2' | 'buf'>, sketch: Sketch): Buffer {
  const b = Buffer.allocUnsafe(META_HEADER_BYTES + sketch.bits.length);
  b[0] = META_FORMAT;
  b[1] = sketch.log2;
  b.writeUInt16LE(m.firstOffsetBound, 2);
  b.writeUInt32LE(m.n, 4);
  b.writeDoubleLE(m.minTs, 8);
  b.writeDoubleLE(m.maxTs, 16);
  b.writeDoubleLE(m.rts, 24);
  b.writeUInt32LE(m.lastOffset, 32);
  b.writeUInt32LE(m.valueBytes, 36);
  b.set(sketch.bits, META_HEADER_BYTES);
  return b;
}

/** Decodes a chunk meta value. Throws StoreCorruptError when it is malformed. */
export function decodeMeta(v: Uint8Array): ChunkMeta {
  const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
  if (b.length < META_HEADER_BYTES || b[0] !== META_FORMAT || b[1] < 3 || b[1] > 24 || b.length !== META_HEADER_BYTES + 2 ** (b[1] - 3)) {
    throw new StoreCorruptError('chunk meta has a bad header or size');
  }
  let minTs = b.readDoubleLE(8);
  let maxTs = b.readDoubleLE(16);
  [minTs, maxTs] = storedBounds(minTs, maxTs);
  return {
    n: b.readUInt32LE(4),
    minTs,
    maxTs,
    rts: b.readDoubleLE(24),
    firstOffsetBound: b.readUInt16LE(2),
    lastOffset: b.readUInt32LE(32),
    valueBytes: b.readUInt32LE(36),
    log2: b[1],
    buf: b,
  };
}
