/**
 * Frames for live-tail clients, in the client's chosen format (docs/protocol.md):
 *
 * - `format=json` (default; browsers): WebSocket TEXT frames holding JSON. Records have the
 *   HTTP shape (`toJsonRecord`: `timestamp`/`received_at` ISO strings), so a client can use the
 *   same code for GET /logs and the tail: `{"type":"records","records":[{...}]}`,
 *   `{"type":"dropped","count":n}`, `{"type":"gap",...}`, `{"type":"heartbeat"}`.
 * - `format=msgpack` (tail-cli): BINARY frames, plain MessagePack maps with WireRecords
 *   (`ts`/`rts` epoch ms), as on the ingest socket.
 *
 * Each record is encoded once however many clients receive it: the encoding is cached per record
 * object (WeakMap), and a records frame is the concatenation of a fixed header and the cached
 * record encodings. The bus hands every subscriber of a subject the same record objects.
 */
import { encode } from '../protocol/codec.js';
import type { DroppedFrame, GapFrame, HeartbeatFrame, WireRecord } from '../protocol/frames.js';
import { createRecordSerializer } from '../query/record-json.js';

export type TailFormat = 'json' | 'msgpack';

export interface EncodedFrame {
  data: string | Uint8Array;
  binary: boolean;
}

const jsonCache = new WeakMap<WireRecord, string>();
/** The same serialiser as GET /logs: the §2 JSON shape, without an intermediate object. */
const toJsonText = createRecordSerializer();
const packCache = new WeakMap<WireRecord, Uint8Array>();

function jsonOf(r: WireRecord): string {
  let s = jsonCache.get(r);
  if (s === undefined) {
    s = toJsonText(r);
    jsonCache.set(r, s);
  }
  return s;
}

function packOf(r: WireRecord): Uint8Array {
  let b = packCache.get(r);
  if (b === undefined) {
    b = encode(r);
    packCache.set(r, b);
  }
  return b;
}

// fixmap(2) "type" "records" "records" — the array header follows.
const PACK_HEAD = Buffer.from([0x82, 0xa4, ...Buffer.from('type'), 0xa7, ...Buffer.from('records'), 0xa7, ...Buffer.from('records')]);

function arrayHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x90 | n]);
  if (n < 0x10000) return Buffer.from([0xdc, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0xdd;
  b.writeUInt32BE(n, 1);
  return b;
}

export function encodeRecords(records: readonly WireRecord[], format: TailFormat): EncodedFrame {
  if (format === 'json') {
    let s = '{"type":"records","records":[';
    for (let i = 0; i < records.length; i++) s += (i === 0 ? '' : ',') + jsonOf(records[i]);
    return { data: s + ']}', binary: false };
  }
  const parts: Uint8Array[] = [PACK_HEAD, arrayHeader(records.length)];
  for (const r of records) parts.push(packOf(r));
  return { data: Buffer.concat(parts), binary: true };
}

export function encodeControl(frame: DroppedFrame | HeartbeatFrame | GapFrame, format: TailFormat): EncodedFrame {
  return format === 'json' ? { data: JSON.stringify(frame), binary: false } : { data: encode(frame), binary: true };
}
