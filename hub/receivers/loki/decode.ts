/**
 * Loki push bodies (docs/receivers.md "Loki"): decoded into streams of entries.
 *
 * JSON: `{"streams": [{"stream": {label: value}, "values": [["<epoch ns>", "line", {metadata}?]]}]}`
 * (and the older `{"labels": "{a=\"b\"}", "entries": [{"ts": RFC3339, "line"}]}`).
 * Protobuf (`application/x-protobuf`, snappy block compressed): logproto.PushRequest
 *   PushRequest { repeated StreamAdapter streams = 1 }
 *   StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3 }
 *   EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPair structuredMetadata = 3 }
 *   Timestamp { int64 seconds = 1; int32 nanos = 2 }   LabelPair { string name = 1; string value = 2 }
 * A malformed body throws HUB_ERR_BAD_BODY (the whole push is refused, as Loki does).
 */
import { uncompress } from 'snappy';
import { HubError } from '../../errors.js';
import { ProtoReader, ProtobufError } from '../protobuf.js';
import { nanosStringToMs, timeValueToMs } from '../mapping.js';
import { parseLabels } from './labels.js';

export interface LokiEntry {
  /** Epoch ms, or the raw value when it is not a time (rejected alone later). */
  ts: number | string;
  line: string;
  metadata?: Record<string, string>;
}

export interface LokiStream {
  labels: Record<string, string>;
  entries: LokiEntry[];
}

function bad(message: string): HubError {
  return new HubError('HUB_ERR_BAD_BODY', message);
}

function labelsOf(text: string, where: string): Record<string, string> {
  const r = parseLabels(text);
  if (!r.ok) throw bad(`${where}: ${r.message}`);
  return r.labels;
}

function stringMap(v: unknown, where: string): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`${where} must be an object of string values`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  return out;
}

function jsonEntryTime(v: unknown): number | string {
  if (typeof v === 'string') return nanosStringToMs(v) ?? timeValueToMs(v) ?? v;
  if (typeof v === 'number') return timeValueToMs(v) ?? String(v);
  return String(v);
}

function jsonStream(s: unknown, i: number): LokiStream {
  if (s === null || typeof s !== 'object') throw bad(`streams[${i}] must be an object`);
  const st = s as Record<string, unknown>;
  if (Array.isArray(st.values)) {
    const labels = st.stream === undefined ? {} : stringMap(st.stream, `streams[${i}].stream`);
    const entries = st.values.map((v, j): LokiEntry => {
      if (!Array.isArray(v) || v.length < 2 || typeof v[1] !== 'string') throw bad(`streams[${i}].values[${j}] must be ["<epoch ns>", "<line>"] or with a metadata object third`);
      const e: LokiEntry = { ts: jsonEntryTime(v[0]), line: v[1] };
      if (v[2] !== undefined) e.metadata = stringMap(v[2], `streams[${i}].values[${j}][2]`);
      return e;
    });
    return { labels, entries };
  }
  if (typeof st.labels === 'string' && Array.isArray(st.entries)) {
    const entries = st.entries.map((e, j): LokiEntry => {
      const x = e as Record<string, unknown> | null;
      if (!x || typeof x.line !== 'string') throw bad(`streams[${i}].entries[${j}] needs a "line" string`);
      return { ts: jsonEntryTime(x.ts ?? x.timestamp), line: x.line };
    });
    return { labels: labelsOf(st.labels, `streams[${i}].labels`), entries };
  }
  throw bad(`streams[${i}] needs "stream" and "values" (or "labels" and "entries")`);
}

export function decodeLokiJson(body: Buffer): LokiStream[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (err) {
    throw bad(`the Loki push body is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
  const streams = (doc as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) throw bad('the Loki push body needs a "streams" array');
  return streams.map(jsonStream);
}

function protoEntry(r: ProtoReader): LokiEntry {
  let seconds = 0;
  let nanos = 0;
  let line = '';
  let metadata: Record<string, string> | undefined;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) {
      const t = r.sub();
      while (!t.done()) {
        const tt = t.tag();
        if (tt.field === 1 && tt.wire === 0) seconds = t.varint();
        else if (tt.field === 2 && tt.wire === 0) nanos = t.varint();
        else t.skip(tt.wire);
      }
    } else if (field === 2 && wire === 2) line = r.string();
    else if (field === 3 && wire === 2) {
      const p = r.sub();
      let name = '';
      let value = '';
      while (!p.done()) {
        const pt = p.tag();
        if (pt.field === 1 && pt.wire === 2) name = p.string();
        else if (pt.field === 2 && pt.wire === 2) value = p.string();
        else p.skip(pt.wire);
      }
      (metadata ??= {})[name] = value;
    } else r.skip(wire);
  }
  // Seconds beyond 2^53 or negative arrive as huge varints: not a time, rejected alone.
  const ts = seconds > 2 ** 40 ? String(seconds) : seconds * 1000 + Math.floor(nanos / 1e6);
  return metadata ? { ts, line, metadata } : { ts, line };
}

function protoStream(r: ProtoReader, i: number): LokiStream {
  let labels: Record<string, string> = {};
  const entries: LokiEntry[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) labels = labelsOf(r.string(), `stream ${i} labels`);
    else if (field === 2 && wire === 2) entries.push(protoEntry(r.sub()));
    else r.skip(wire);
  }
  return { labels, entries };
}

/** Snappy's block format starts with the uncompressed length: check it before inflating. */
function snappyLength(buf: Buffer): number {
  const r = new ProtoReader(buf);
  return r.varint();
}

export async function decodeLokiProtobuf(body: Buffer, limitBytes: number): Promise<LokiStream[]> {
  let raw: Buffer;
  try {
    const len = snappyLength(body);
    if (len > limitBytes) throw new HubError('HUB_ERR_TOO_LARGE', `the snappy-decompressed push is ${len} bytes, over the ${limitBytes}-byte limit; send smaller batches`);
    raw = (await uncompress(body, { asBuffer: true })) as Buffer;
  } catch (err) {
    if (err instanceof HubError) throw err;
    throw bad('the Loki protobuf body is not snappy block compressed (Loki clients compress application/x-protobuf pushes with snappy)');
  }
  try {
    const r = new ProtoReader(raw);
    const streams: LokiStream[] = [];
    while (!r.done()) {
      const { field, wire } = r.tag();
      if (field === 1 && wire === 2) streams.push(protoStream(r.sub(), streams.length));
      else r.skip(wire);
    }
    return streams;
  } catch (err) {
    if (err instanceof ProtobufError) throw bad(`the Loki protobuf push is malformed: ${err.message}`);
    throw err;
  }
}
