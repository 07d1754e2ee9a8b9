/**
 * Just enough protobuf encoding for the Loki push request (loki-push.ts): varints and
 * length-delimited fields, built bottom-up into Buffers. No schema library: the message shapes
 * are fixed and small. Varints are the store's LEB128 (the same encoding protobuf uses).
 */
import { varintWidth as varintSize, writeVarint } from '../store/varint.js';

/** A length-delimited field (wire type 2): tag, length, bytes. */
export function lenField(field: number, bytes: Buffer): Buffer {
  const tag = (field << 3) | 2;
  const head = Buffer.allocUnsafe(1 + varintSize(bytes.length));
  head[0] = tag;
  writeVarint(head, 1, bytes.length);
  return Buffer.concat([head, bytes]);
}

/** A string field (wire type 2). */
export function stringField(field: number, s: string): Buffer {
  return lenField(field, Buffer.from(s, 'utf8'));
}

/** A varint field (wire type 0); zero is omitted, as proto3 does. */
export function varintField(field: number, n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  const b = Buffer.allocUnsafe(1 + varintSize(n));
  b[0] = field << 3;
  writeVarint(b, 1, n);
  return b;
}
