/**
 * Fluent Forward messages (docs/receivers.md "Fluent Forward") into entries. The four modes:
 *   Message              [tag, time, record, option?]
 *   Forward              [tag, [[time, record], ...], option?]
 *   PackedForward        [tag, <bin|str: concatenated MessagePack [time, record]>, option?]
 *   CompressedPackedForward  the same with option {compressed: "gzip"} (gzip members)
 * time is integer (or float) seconds, or EventTime: ext type 0, 4 bytes seconds + 4 bytes
 * nanoseconds, big-endian. option may carry `chunk`: the client wants {ack: chunk} once stored.
 */
import { Unpackr, addExtension } from 'msgpackr';
import { gunzipSync } from 'node:zlib';

/** Decoded EventTime (ext type 0). */
export class EventTime {
  constructor(readonly seconds: number, readonly nanos: number) {}
}

// Unpack only (the hub never writes EventTime). msgpackr's extension table is process-wide:
// ext type 0 otherwise decodes to undefined, and no logwire frame uses it.
addExtension({
  type: 0,
  unpack: (b: Uint8Array) => b.length === 8 ? new EventTime(Buffer.from(b).readUInt32BE(0), Buffer.from(b).readUInt32BE(4)) : undefined,
});

export const forwardUnpackr = new Unpackr({ mapsAsObjects: true, useRecords: false, int64AsType: 'number', copyBuffers: true });

export class ForwardError extends Error {}

export interface ForwardEntry {
  /** Epoch ms, or undefined when the entry's time is unusable (the record's own time or hub time then). */
  timeMs: number | undefined;
  record: Record<string, unknown>;
}

export interface ForwardMessage {
  tag: string;
  entries: ForwardEntry[];
  /** The client asked for an ack with this chunk id. */
  chunk?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function timeMs(t: unknown): number | undefined {
  if (t instanceof EventTime) return t.seconds * 1000 + Math.floor(t.nanos / 1e6);
  if (typeof t === 'number' && Number.isFinite(t) && t >= 0) return Math.round(t * 1000);
  return undefined;
}

/** Old clients send strings as MessagePack bin: read them as UTF-8 text when they are. */
function textValues(record: Record<string, unknown>): Record<string, unknown> {
  for (const k in record) {
    const v = record[k];
    if (v instanceof Uint8Array) {
      try {
        record[k] = utf8.decode(v);
      } catch {
        record[k] = Buffer.from(v).toString('base64');
      }
    }
  }
  return record;
}

function entry(e: unknown, where: string): ForwardEntry {
  if (!Array.isArray(e) || e.length < 2 || e[1] === null || typeof e[1] !== 'object' || Array.isArray(e[1])) {
    throw new ForwardError(`${where} must be [time, record]`);
  }
  return { timeMs: timeMs(e[0]), record: textValues(e[1] as Record<string, unknown>) };
}

function packedEntries(data: Uint8Array, compressed: boolean, limitBytes: number): ForwardEntry[] {
  let raw = data;
  if (compressed) {
    try {
      raw = gunzipSync(data, { maxOutputLength: limitBytes });
    } catch (err) {
      throw new ForwardError(`CompressedPackedForward entries are not valid gzip within ${limitBytes} bytes: ${(err as Error).message}`);
    }
  }
  let values: unknown[];
  try {
    values = forwardUnpackr.unpackMultiple(raw) as unknown[];
  } catch (err) {
    throw new ForwardError(`PackedForward entries are not valid MessagePack: ${(err as Error).message}`);
  }
  return values.map((v, i) => entry(v, `packed entry ${i}`));
}

export function decodeForward(msg: unknown, limitBytes: number): ForwardMessage {
  if (!Array.isArray(msg) || msg.length < 2) throw new ForwardError('a Forward message must be an array [tag, ...]');
  const tag = msg[0] instanceof Uint8Array ? Buffer.from(msg[0]).toString('utf8') : msg[0];
  if (typeof tag !== 'string') throw new ForwardError('the tag must be a string');
  const second = msg[1];
  let entries: ForwardEntry[];
  let option: unknown;
  if (Array.isArray(second)) {
    entries = second.map((e, i) => entry(e, `entry ${i}`));
    option = msg[2];
  } else if (second instanceof Uint8Array || typeof second === 'string') {
    option = msg[2];
    const compressed = (option as { compressed?: unknown } | undefined)?.compressed === 'gzip';
    entries = packedEntries(typeof second === 'string' ? Buffer.from(second, 'utf8') : second, compressed, limitBytes);
  } else {
    entries = [entry([second, msg[2]], 'the record')];
    option = msg[3];
  }
  const chunk = (option as { chunk?: unknown } | undefined)?.chunk;
  const out: ForwardMessage = { tag, entries };
  if (typeof chunk === 'string' && chunk !== '') out.chunk = chunk;
  else if (chunk instanceof Uint8Array) out.chunk = Buffer.from(chunk).toString('utf8');
  return out;
}
