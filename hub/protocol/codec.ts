/**
 * The single MessagePack configuration shared by hub, shipper and tail-cli.
 *
 * Encoding writes plain maps (no msgpackr record extension) so any MessagePack library can read
 * our frames. Decoding never throws: it returns a value that says what is wrong, so a bad frame
 * costs only its own connection. A truncated buffer is reported as `incomplete` ("need more bytes").
 */
import { Packr } from 'msgpackr';
import type { Frame } from './frames.js';

// copyBuffers: decoded binary values must not alias uWS-owned memory that is reused after a callback.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number', copyBuffers: true });
// msgpackr renames a `__proto__` key to `__proto_` when it builds objects. Names are data (a field
// may be called that), so values holding that key are decoded as Maps and rebuilt with own keys.
const mapPackr = new Packr({ useRecords: false, mapsAsObjects: false, moreTypes: false, int64AsType: 'number', copyBuffers: true });
const PROTO_KEY = Buffer.from('__proto__');

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

export type DecodeResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'incomplete' | 'malformed'; message: string };

/** Decodes one MessagePack value; trailing bytes after it are malformed. */
export function decode(bytes: Uint8Array): DecodeResult<unknown> {
  try {
    if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(PROTO_KEY) < 0) return { ok: true, value: packr.unpack(bytes) };
    return { ok: true, value: mapsToObjects(mapPackr.unpack(bytes)) };
  } catch (err) {
    const e = err as Error & { incomplete?: boolean };
    if (e.incomplete) return { ok: false, code: 'incomplete', message: 'the MessagePack data ends in the middle of a value' };
    return { ok: false, code: 'malformed', message: `not valid MessagePack: ${e.message}` };
  }
}

/** Maps → plain objects whose keys are own data properties, `__proto__` included. */
function mapsToObjects(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(mapsToObjects);
  if (!(v instanceof Map)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of v) Object.defineProperty(out, String(k), { value: mapsToObjects(x), enumerable: true, writable: true, configurable: true });
  return out;
}

export type FrameResult =
  | { ok: true; frame: Frame }
  | { ok: false; code: 'incomplete' | 'malformed' | 'not_a_map' | 'unknown_type'; message: string };

/** Decodes a frame: a map with a string `type`. Field validation is the receiver's job. */
export function decodeFrame(bytes: Uint8Array): FrameResult {
  const r = decode(bytes);
  if (!r.ok) return r;
  const v = r.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
    return { ok: false, code: 'not_a_map', message: 'a frame must be a MessagePack map with a "type" key' };
  }
  const type = (v as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { ok: false, code: 'unknown_type', message: 'the frame has no string "type" key' };
  }
  return { ok: true, frame: v as Frame };
}

export function encodeFrame(frame: Frame): Buffer {
  return packr.pack(frame);
}
