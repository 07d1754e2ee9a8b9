/**
 * Binary LMDB keys. Big-endian fixed-width integers so LMDB's byte order is numeric order.
 *
 *   chunk key (chunks, cmeta): [streamId u32][groupFirstLseq u48]          10 bytes
 *   group key (groups, gtri):  [rts u48][groupFirstLseq u48]               12 bytes
 *
 * Group keys lead with rts so a cursor from any hub (which carries only an rts we can compare)
 * seeks directly; since a hub's rts never decreases with lseq, (rts, lseq) order == lseq order.
 */

export const CHUNK_KEY_BYTES = 10;
/** Width of a group key. */
export const GROUP_KEY_BYTES = 12;
/** Largest value a u48 field holds. */
export const MAX_U48 = 2 ** 48 - 1;

/** Key of a chunk (and its meta). */
export function chunkKey(streamId: number, firstLseq: number): Buffer {
  const k = Buffer.allocUnsafe(CHUNK_KEY_BYTES);
  k.writeUInt32BE(streamId, 0);
  k.writeUIntBE(firstLseq, 4, 6);
  return k;
}

/** A decoded chunk key. */
export interface ChunkKey {
  streamId: number;
  firstLseq: number;
}

/** Decodes a chunk key; undefined when it has the wrong size. */
export function parseChunkKey(k: Uint8Array): ChunkKey | undefined {
  if (k.length !== CHUNK_KEY_BYTES) return undefined;
  const b = Buffer.from(k.buffer, k.byteOffset, k.length);
  return { streamId: b.readUInt32BE(0), firstLseq: b.readUIntBE(4, 6) };
}

/** Key of a group (and its text indexes). Values are clamped to u48. */
export function groupKey(rts: number, firstLseq: number): Buffer {
  const k = Buffer.allocUnsafe(GROUP_KEY_BYTES);
  k.writeUIntBE(Math.min(Math.max(rts, 0), MAX_U48), 0, 6);
  k.writeUIntBE(Math.min(Math.max(firstLseq, 0), MAX_U48), 6, 6);
  return k;
}

/** A decoded group key. */
export interface GroupKey {
  rts: number;
  firstLseq: number;
}

/** Decodes a group key; undefined when it has the wrong size. */
export function parseGroupKey(k: Uint8Array): GroupKey | undefined {
  if (k.length !== GROUP_KEY_BYTES) return undefined;
  const b = Buffer.from(k.buffer, k.byteOffset, k.length);
  return { rts: b.readUIntBE(0, 6), firstLseq: b.readUIntBE(6, 6) };
}
