/**
 * Unsigned LEB128 varints over JS numbers (exact up to 2^53) and zigzag for signed deltas.
 * Readers take a `{ pos }` cursor and throw `RangeError` on truncated input, so a corrupted value
 * surfaces as an error, never as an out-of-bounds read.
 */

export interface Cursor {
  pos: number;
}

/** Writes `v` (0 ≤ v < 2^53) at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** Writes `v` in exactly `width` bytes (padded LEB128, still readable by `readVarint`). */
export function writeVarintPadded(buf: Uint8Array, pos: number, v: number, width: number): number {
  for (let i = 0; i < width - 1; i++) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** Bytes needed to hold values up to `max` as a varint. */
export function varintWidth(max: number): number {
  let w = 1;
  while (max >= 128) {
    max = Math.floor(max / 128);
    w++;
  }
  return w;
}

/**
 * Reads a varint at `c.pos`, advancing it; throws RangeError when truncated. Up to 10 bytes (any
 * 64-bit value, approximated above 2^53): older stores wrote nanosecond epochs as 9-byte deltas.
 */
export function readVarint(buf: Uint8Array, c: Cursor): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= buf.length) throw new RangeError('varint runs past the end of the value');
    const b = buf[c.pos++];
    result += (b & 127) * mul;
    if (b < 128) return result;
    mul *= 128;
  }
  throw new RangeError('varint longer than 10 bytes');
}

/** Maps signed to unsigned: 0, -1, 1, -2 … → 0, 1, 2, 3 … (exact to 2^52). */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Inverse of zigzag. */
export function unzigzag(v: number): number {
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}
