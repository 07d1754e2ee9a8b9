/**
 * Trigram bitmaps: a one-hash Bloom filter over the lower-cased ASCII byte trigrams of message text,
 * so `q` (case-insensitive substring) queries skip chunks and whole commit groups without reading
 * or decompressing them.
 *
 * Bitmap: 2^log2 bits stored as bytes, bit x at byte x>>>3, mask 1<<(x&7). A trigram t (3 bytes
 * b0 b1 b2 after ASCII lower-casing, as the 24-bit int b0<<16|b1<<8|b2) sets bit
 * imul(t, 0x9E3779B1) >>> (32 - log2). The same hash serves every size (top bits), so a chunk
 * bitmap and its group bitmap are filled in one pass.
 *
 * Invariant (no false negatives): if a message contains needle N case-insensitively and N is ASCII
 * with at least 3 chars, every trigram of lower(N) is set in the bitmap of that message's chunk and
 * group. Needles that are shorter or non-ASCII are never used for pruning (`needleHashes` says so).
 */

const LOWER = new Uint8Array(256);
for (let i = 0; i < 256; i++) LOWER[i] = i >= 65 && i <= 90 ? i + 32 : i;

const GOLDEN = 0x9e3779b1 | 0;
/** Smallest bitmap: 128 bits (16 bytes), for one short line. */
export const MIN_BITS_LOG2 = 7;
/** Chunk bitmaps: up to 64 Kbit (8 KiB). */
export const CHUNK_MAX_BITS_LOG2 = 16;
/** Group bitmaps: up to 256 Kbit (32 KiB). */
export const GROUP_MAX_BITS_LOG2 = 18;

/** Bitmap size for a text of this many bytes: about one bit per two text bytes, a power of two. */
export function bitsLog2For(textBytes: number, maxLog2: number): number {
  let k = MIN_BITS_LOG2;
  while (k < maxLog2 && 2 ** k < textBytes / 2) k++;
  return k;
}

/** A bitmap being filled. */
export interface Sketch {
  bits: Uint8Array;
  log2: number;
}

/** An empty bitmap of 2^log2 bits. */
export function newSketch(log2: number): Sketch {
  return { bits: new Uint8Array(2 ** (log2 - 3)), log2 };
}

/** Adds the trigrams of buf[start, end) to `a` and, when given, `b`. */
export function addTrigrams(buf: Uint8Array, start: number, end: number, a: Sketch, b?: Sketch): void {
  if (end - start < 3) return;
  const abits = a.bits;
  const ash = 32 - a.log2;
  let t = (LOWER[buf[start]] << 8) | LOWER[buf[start + 1]];
  if (b) {
    const bbits = b.bits;
    const bsh = 32 - b.log2;
    for (let i = start + 2; i < end; i++) {
      t = ((t << 8) | LOWER[buf[i]]) & 0xffffff;
      const h = Math.imul(t, GOLDEN);
      const x = h >>> ash;
      abits[x >>> 3] |= 1 << (x & 7);
      const y = h >>> bsh;
      bbits[y >>> 3] |= 1 << (y & 7);
    }
  } else {
    for (let i = start + 2; i < end; i++) {
      t = ((t << 8) | LOWER[buf[i]]) & 0xffffff;
      const x = Math.imul(t, GOLDEN) >>> ash;
      abits[x >>> 3] |= 1 << (x & 7);
    }
  }
}

/**
 * The trigram hashes of a needle, or undefined when the needle cannot be used for pruning
 * (shorter than 3 chars, or not pure ASCII). `needle` is compared case-insensitively.
 */
export function needleHashes(needle: string): Int32Array | undefined {
  if (needle.length < 3) return undefined;
  for (let i = 0; i < needle.length; i++) if (needle.charCodeAt(i) > 127) return undefined;
  const seen = new Set<number>();
  for (let i = 0; i + 2 < needle.length; i++) {
    const t = (LOWER[needle.charCodeAt(i)] << 16) | (LOWER[needle.charCodeAt(i + 1)] << 8) | LOWER[needle.charCodeAt(i + 2)];
    seen.add(Math.imul(t, GOLDEN));
  }
  return Int32Array.from(seen);
}

/** False only when the text behind this bitmap cannot contain the needle. */
export function mayContain(bits: Uint8Array, offset: number, log2: number, hashes: Int32Array): boolean {
  const sh = 32 - log2;
  for (let i = 0; i < hashes.length; i++) {
    const x = hashes[i] >>> sh;
    if ((bits[offset + (x >>> 3)] & (1 << (x & 7))) === 0) return false;
  }
  return true;
}
