/**
 * Text indexes of a commit group, so an unfiltered `q` query decides for a whole group — and for
 * every chunk in it — from at most two reads, instead of one chunk-meta read per chunk (the chunk
 * bitmaps are also in `cmeta`, where per-stream scans use them). Two values, not one, because
 * lmdb-js copies a value on read: most groups are ruled out by the small group bitmap alone.
 *
 * `gtri` value, format 1:  u8 log2 | group bitmap (2^log2 bits)
 * `ctri` value (same key): per chunk of the group: u32 LE streamId | u8 log2 | chunk bitmap
 *
 * Chunks deleted later stay listed (harmless: the chunk read finds nothing); chunks rewritten by a
 * partial delete keep their old, larger bitmap (a superset, so still no false negatives).
 */
import type { Sketch } from './trigram.js';
import { mayContain } from './trigram.js';

/** A chunk's trigram bitmap, by stream. */
export interface ChunkSketch {
  streamId: number;
  sketch: Sketch;
}

/** The `gtri` and `ctri` values of a group. */
export function encodeGroupText(group: Sketch, chunks: ChunkSketch[]): { gtri: Buffer; ctri: Buffer } {
  const gtri = Buffer.allocUnsafe(1 + group.bits.length);
  gtri[0] = group.log2;
  gtri.set(group.bits, 1);
  let size = 0;
  for (const c of chunks) size += 5 + c.sketch.bits.length;
  const b = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const c of chunks) {
    b.writeUInt32LE(c.streamId, pos);
    b[pos + 4] = c.sketch.log2;
    b.set(c.sketch.bits, pos + 5);
    pos += 5 + c.sketch.bits.length;
  }
  return { gtri, ctri: b };
}

function bitmapBytes(log2: number): number {
  return log2 >= 3 && log2 <= 24 ? 1 << (log2 - 3) : -1;
}

/** False only when the group cannot contain the needle; true also for a malformed value. */
export function groupMayContain(g: Uint8Array, hashes: Int32Array): boolean {
  const n = bitmapBytes(g[0]);
  return g.length < 1 || n < 0 || g.length !== 1 + n || mayContain(g, 1, g[0], hashes);
}

/**
 * Stream ids of the group's chunks that may contain the needle and are wanted, or undefined when
 * the `ctri` value is malformed (the caller then checks every chunk itself).
 */
export function chunkCandidates(v: Uint8Array, hashes: Int32Array, wanted: (streamId: number) => boolean): number[] | undefined {
  const out: number[] = [];
  let pos = 0;
  while (pos < v.length) {
    if (pos + 5 > v.length) return undefined;
    const sid = (v[pos] | (v[pos + 1] << 8) | (v[pos + 2] << 16) | (v[pos + 3] << 24)) >>> 0;
    const log2 = v[pos + 4];
    const n = bitmapBytes(log2);
    if (n < 0 || pos + 5 + n > v.length) return undefined;
    if (wanted(sid) && mayContain(v, pos + 5, log2, hashes)) out.push(sid);
    pos += 5 + n;
  }
  return out;
}
