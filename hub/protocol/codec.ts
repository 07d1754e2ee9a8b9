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

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

export type DecodeResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'incomplete' | 'malformed'; message: string };

/** Decodes one MessagePack value; trailing bytes after it are malformed. */
export function decode(bytes: Uint8Array): DecodeResult<unknown> {
  try {
    return { ok: true, value: packr.unpack(bytes) };
  } catch (err) {
    const e = err as Error & { incomplete?: boolean };
    if (e.incomplete) return { ok: false, code: 'incomplete', message: 'the MessagePack data ends in the middle of a value' };
    return { ok: false, code: 'malformed', message: `not valid MessagePack: ${e.message}` };
  }
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
