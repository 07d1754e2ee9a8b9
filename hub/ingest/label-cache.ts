/**
 * Recognises a record's labels by their bytes (ingest's fast path): the raw service, severity,
 * host and file strings of a frame map to the stream they were validated into the first time,
 * so a known label tuple costs one hash and one compare — no strings, no map lookups per level.
 */
import type { PlainRecord } from '../protocol/batch-scan.js';
import { labelsValid } from '../protocol/record.js';
import type { Severity } from '../protocol/severity.js';
import type { AppendBuilder } from '../store/append-builder.js';
import type { Stream } from '../store/streams.js';

/** Label tuples remembered at most; past it the cache starts over (many streams: see docs/storage.md). */
const MAX_ENTRIES = 50_000;
const ABSENT = 0xfe;
const SEPARATOR = 0xff; // neither byte occurs in UTF-8

interface Entry {
  key: Buffer;
  stream: Stream;
}

export class LabelCache {
  private readonly entries = new Map<number, Entry[]>();
  private size = 0;
  private scratch = Buffer.allocUnsafe(1024);

  /** The stream of `r`'s labels, or undefined when they are not valid as they stand (decode the record the ordinary way). */
  lookup(b: Uint8Array, r: PlainRecord, builder: AppendBuilder): Stream | undefined {
    if (r.svcStart < 0) return undefined; // the default service depends on the token: ordinary path
    const len = this.writeKey(b, r);
    const key = this.scratch;
    let h = 0x811c9dc5;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ key[i], 0x01000193);
    const bucket = this.entries.get(h);
    if (bucket) {
      for (const e of bucket) if (e.key.length === len && key.compare(e.key, 0, len, 0, len) === 0) return e.stream;
    }
    const stream = this.resolve(b, r, builder);
    if (!stream) return undefined;
    if (this.size >= MAX_ENTRIES) {
      this.entries.clear();
      this.size = 0;
    }
    const entry = { key: Buffer.from(key.subarray(0, len)), stream };
    if (bucket) bucket.push(entry);
    else this.entries.set(h, [entry]);
    this.size++;
    return stream;
  }

  private resolve(b: Uint8Array, r: PlainRecord, builder: AppendBuilder): Stream | undefined {
    const text = (s: number, e: number) => (s < 0 ? undefined : Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('utf8'));
    const service = text(r.svcStart, r.svcEnd)!;
    const host = text(r.hostStart, r.hostEnd);
    const file = text(r.fileStart, r.fileEnd);
    if (!labelsValid(service, host, file)) return undefined;
    const severity = (text(r.sevStart, r.sevEnd) ?? 'INFO') as Severity; // the scan passes canonical names only
    return builder.stream(service, severity, host, file);
  }

  /** Writes the four labels' bytes, separated, into the scratch buffer; returns the length. */
  private writeKey(b: Uint8Array, r: PlainRecord): number {
    const need = (r.svcEnd - r.svcStart) + (r.sevEnd - r.sevStart) + (r.hostEnd - r.hostStart) + (r.fileEnd - r.fileStart) + 8;
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(need * 2);
    const k = this.scratch;
    let p = putLabel(k, 0, b, r.svcStart, r.svcEnd);
    p = putLabel(k, p, b, r.sevStart, r.sevEnd);
    p = putLabel(k, p, b, r.hostStart, r.hostEnd);
    p = putLabel(k, p, b, r.fileStart, r.fileEnd);
    return p;
  }
}

function putLabel(k: Buffer, p: number, b: Uint8Array, s: number, e: number): number {
  if (s < 0) k[p++] = ABSENT;
  else for (let i = s; i < e; i++) k[p++] = b[i];
  k[p++] = SEPARATOR;
  return p;
}
