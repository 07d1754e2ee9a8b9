/**
 * A minimal protobuf wire-format reader and writer: just what the Loki push and OTLP logs
 * messages need (varint, 64-bit, length-delimited, 32-bit). Hand-written because decoding
 * straight into records is several times faster than a generic library's message objects.
 * Any malformed input throws ProtobufError; callers turn it into their protocol's 400.
 */
import { isUtf8 } from 'node:buffer';

export class ProtobufError extends Error {}

export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;


export class ProtoReader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a tag: field number and wire type. */
  tag(): { field: number; wire: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: t & 7 };
  }

  /** A varint as a JS number (exact up to 2^53; larger values lose low bits, as counts never are). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  /** A varint as a BigInt (int64 timestamps in nanoseconds need all 64 bits). */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Bounds of a length-delimited field; the reader moves past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new ProtobufError('length-delimited field runs past its message');
    this.pos = start + len;
    return [start, start + len];
  }

  sub(): ProtoReader {
    const [s, e] = this.span();
    return new ProtoReader(this.buf, s, e);
  }

  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }

  string(): string {
    const [s, e] = this.span();
    const bytes = this.buf.subarray(s, e);
    // isUtf8 + toString is several times faster than a fatal TextDecoder on short strings.
    if (!isUtf8(bytes)) throw new ProtobufError('a string field is not valid UTF-8');
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }

  skip(wire: number): void {
    if (wire === WireType.varint) this.varint();
    else if (wire === WireType.fixed64) this.advance(8);
    else if (wire === WireType.bytes) this.span();
    else if (wire === WireType.fixed32) this.advance(4);
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new ProtobufError('truncated field');
    this.pos += n;
  }
}

/** Writes the few small messages the receivers answer with. */
export class ProtoWriter {
  private bytes: number[] = [];

  varintField(field: number, n: number): this {
    this.varint(field * 8 + WireType.varint);
    this.varint(n);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.varint(field * 8 + WireType.bytes);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  stringField(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private varint(n: number): void {
    while (n >= 0x80) {
      this.bytes.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    this.bytes.push(n);
  }
}
