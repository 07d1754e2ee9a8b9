/**
 * Framing for a stream of concatenated MessagePack values (Fluent Forward has no other framing):
 * `valueEnd` walks a value's bytes without decoding it and says where it ends, or that more bytes
 * are needed. Walking is cheap (a PackedForward message is a few headers and one jump over its
 * binary), so a partly received message costs no decoding until it is complete.
 */

export class MsgpackSyntaxError extends Error {}

const NEED_MORE = -1;

/** End offset of the value starting at `pos`, or -1 when `buf` ends first. Iterative: hostile nesting cannot overflow the stack. */
export function valueEnd(buf: Uint8Array, pos: number): number {
  let pending = 1; // values still to walk
  const len = buf.length;
  const u = (at: number, bytes: number): number => {
    let n = 0;
    for (let i = 0; i < bytes; i++) n = n * 256 + buf[at + i];
    return n;
  };
  while (pending > 0) {
    if (pos >= len) return NEED_MORE;
    const b = buf[pos];
    pending--;
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xc2 && b <= 0xc3) || b === 0xc0) { pos += 1; continue; }
    if (b >= 0x80 && b <= 0x8f) { pending += (b & 0x0f) * 2; pos += 1; continue; }
    if (b >= 0x90 && b <= 0x9f) { pending += b & 0x0f; pos += 1; continue; }
    if (b >= 0xa0 && b <= 0xbf) { pos += 1 + (b & 0x1f); continue; }
    let head = 0;
    let body = 0;
    switch (b) {
      case 0xcc: case 0xd0: head = 1; break;
      case 0xcd: case 0xd1: head = 2; break;
      case 0xca: case 0xce: case 0xd2: head = 4; break;
      case 0xcb: case 0xcf: case 0xd3: head = 8; break;
      case 0xd4: head = 2; break;
      case 0xd5: head = 3; break;
      case 0xd6: head = 5; break;
      case 0xd7: head = 9; break;
      case 0xd8: head = 17; break;
      case 0xc4: case 0xd9: if (pos + 2 > len) return NEED_MORE; body = u(pos + 1, 1); head = 1; break;
      case 0xc5: case 0xda: if (pos + 3 > len) return NEED_MORE; body = u(pos + 1, 2); head = 2; break;
      case 0xc6: case 0xdb: if (pos + 5 > len) return NEED_MORE; body = u(pos + 1, 4); head = 4; break;
      case 0xc7: if (pos + 2 > len) return NEED_MORE; body = u(pos + 1, 1) + 1; head = 1; break;
      case 0xc8: if (pos + 3 > len) return NEED_MORE; body = u(pos + 1, 2) + 1; head = 2; break;
      case 0xc9: if (pos + 5 > len) return NEED_MORE; body = u(pos + 1, 4) + 1; head = 4; break;
      case 0xdc: if (pos + 3 > len) return NEED_MORE; pending += u(pos + 1, 2); head = 2; break;
      case 0xdd: if (pos + 5 > len) return NEED_MORE; pending += u(pos + 1, 4); head = 4; break;
      case 0xde: if (pos + 3 > len) return NEED_MORE; pending += u(pos + 1, 2) * 2; head = 2; break;
      case 0xdf: if (pos + 5 > len) return NEED_MORE; pending += u(pos + 1, 4) * 2; head = 4; break;
      default: throw new MsgpackSyntaxError(`byte 0x${b.toString(16)} at offset ${pos} starts no MessagePack value`);
    }
    pos += 1 + head + body;
  }
  return pos > len ? NEED_MORE : pos;
}
