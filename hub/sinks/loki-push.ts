/**
 * Loki push bodies (`POST /loki/api/v1/push`). Streams are keyed by the labels service, severity
 * and host (plus the sink's static `labels`); everything else about a record travels as the
 * entry's structured metadata: `logwire_id`, `file`, `truncated` and every field (non-string
 * values as JSON). Entries of a stream are sorted by event time, which Loki prefers.
 *
 * Protobuf (logproto): PushRequest{1: repeated StreamAdapter}; StreamAdapter{1: labels string,
 * 2: repeated EntryAdapter}; EntryAdapter{1: Timestamp{1: seconds, 2: nanos}, 2: line,
 * 3: repeated LabelPairAdapter{1: name, 2: value}} — snappy block-compressed on the wire.
 * JSON: {"streams": [{"stream": {labels}, "values": [["<ns>", "<line>", {metadata}]]}]}.
 */
import type { WireRecord } from '../protocol/frames.js';
import { varintWidth as varintSize, writeVarint } from '../store/varint.js';

interface LokiStream {
  labels: Record<string, string>;
  records: WireRecord[];
}

const BAD_NAME = /[^A-Za-z0-9_]/g;

/** Loki's label-set text: `{a="x", b="y"}`, names sorted, values Go-quoted. */
export function labelText(labels: Record<string, string>): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(', ')}}`;
}

/** Groups records into streams by their labels; entries sorted by event time within a stream. */
export function groupStreams(records: WireRecord[], extra: Readonly<Record<string, string>>): LokiStream[] {
  const byKey = new Map<string, LokiStream>();
  for (const r of records) {
    const key = `${r.service}\u0000${r.severity}\u0000${r.host ?? ''}`;
    let s = byKey.get(key);
    if (!s) {
      const labels: Record<string, string> = { ...extra, service: r.service, severity: r.severity };
      if (r.host !== undefined) labels.host = r.host;
      byKey.set(key, (s = { labels, records: [] }));
    }
    s.records.push(r);
  }
  const out = [...byKey.values()];
  for (const s of out) s.records.sort((a, b) => a.ts - b.ts);
  return out;
}

/** Structured metadata of an entry: name → value (strings). */
export function metadata(r: WireRecord): Array<[string, string]> {
  const out: Array<[string, string]> = [['logwire_id', r.id]];
  if (r.file !== undefined) out.push(['file', r.file]);
  if (r.truncated) out.push(['truncated', 'true']);
  if (r.fields) {
    for (const [k, v] of Object.entries(r.fields)) {
      if (v === undefined || v === null) continue;
      out.push([k.replace(BAD_NAME, '_') || '_', typeof v === 'string' ? v : JSON.stringify(v)]);
    }
  }
  return out;
}

/** An entry's pieces with their encoded sizes (pass 1 of pushProto). */
interface SizedEntry {
  seconds: number;
  nanos: number;
  tsLen: number;
  line: string;
  lineLen: number;
  meta: Array<[string, string]>;
  metaLens: number[];
  len: number;
}

const fieldLen = (n: number): number => 1 + varintSize(n) + n;

function sizeEntry(r: WireRecord): SizedEntry {
  const seconds = Math.floor(r.ts / 1000);
  const nanos = (r.ts - seconds * 1000) * 1_000_000;
  const tsLen = (seconds ? 1 + varintSize(seconds) : 0) + (nanos ? 1 + varintSize(nanos) : 0);
  const lineLen = Buffer.byteLength(r.message);
  const meta = metadata(r);
  const metaLens: number[] = [];
  let len = fieldLen(tsLen) + fieldLen(lineLen);
  for (const [name, value] of meta) {
    const nb = Buffer.byteLength(name);
    const vb = Buffer.byteLength(value);
    const inner = fieldLen(nb) + fieldLen(vb);
    metaLens.push(nb, vb, inner);
    len += fieldLen(inner);
  }
  return { seconds, nanos, tsLen, line: r.message, lineLen, meta, metaLens, len };
}

/**
 * The push request as protobuf (not yet compressed). Two passes: sizes first, then one buffer
 * written front to back (no per-field allocations: this runs for every forwarded record).
 */
export function pushProto(records: WireRecord[], extra: Readonly<Record<string, string>>): Buffer {
  const streams = groupStreams(records, extra).map((s) => {
    const labels = labelText(s.labels);
    const labelsLen = Buffer.byteLength(labels);
    const entries = s.records.map(sizeEntry);
    let len = fieldLen(labelsLen);
    for (const e of entries) len += fieldLen(e.len);
    return { labels, labelsLen, entries, len };
  });
  let total = 0;
  for (const s of streams) total += fieldLen(s.len);
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  const head = (field: number, len: number): void => {
    buf[pos++] = (field << 3) | 2;
    pos = writeVarint(buf, pos, len);
  };
  const str = (field: number, value: string, len: number): void => {
    head(field, len);
    pos += buf.write(value, pos, len, 'utf8');
  };
  const num = (field: number, n: number): void => {
    if (n === 0) return;
    buf[pos++] = field << 3;
    pos = writeVarint(buf, pos, n);
  };
  for (const s of streams) {
    head(1, s.len);
    str(1, s.labels, s.labelsLen);
    for (const e of s.entries) {
      head(2, e.len);
      head(1, e.tsLen);
      num(1, e.seconds);
      num(2, e.nanos);
      str(2, e.line, e.lineLen);
      for (let i = 0; i < e.meta.length; i++) {
        head(3, e.metaLens[i * 3 + 2]);
        str(1, e.meta[i][0], e.metaLens[i * 3]);
        str(2, e.meta[i][1], e.metaLens[i * 3 + 1]);
      }
    }
  }
  return buf;
}

/** The push request as JSON. */
export function pushJson(records: WireRecord[], extra: Readonly<Record<string, string>>): string {
  const streams = groupStreams(records, extra).map((s) => ({
    stream: s.labels,
    values: s.records.map((r) => [`${r.ts}000000`, r.message, Object.fromEntries(metadata(r))]),
  }));
  return JSON.stringify({ streams });
}

/**
 * How many entries a 400 says were refused: Loki's "total ignored: N out of M" (once per stream)
 * or logwire's "N of M entries refused". Undefined when the body gives no count (the whole push
 * was refused).
 */
export function refusedCount(body: string): number | undefined {
  let n = 0;
  let found = false;
  for (const m of body.matchAll(/total ignored: (\d+) out of (\d+)/g)) {
    n += Number(m[1]);
    found = true;
  }
  if (found) return n;
  const m = /(\d+) of (\d+) entries refused/.exec(body);
  return m ? Number(m[1]) : undefined;
}
