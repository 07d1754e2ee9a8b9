/**
 * Streams: a stream is one (service, severity, host, file) label tuple, numbered by a small integer
 * id. Every chunk belongs to one stream, so a filter's label part is answered in memory by picking
 * the candidate streams (`matchLabels`) before any LMDB read. Each stream also carries the counters
 * that make `stats()` and `hosts()` O(streams): persisted in the same transaction as the records.
 *
 * `streams` db (key: stream id as uint32; value: MessagePack array, format 1):
 *   [service, severity, host | null, file | null, n, lastTs | null, bytes, span?]
 * n = records stored, lastTs = newest event time among them (null when n = 0),
 * bytes = uncompressed chunk bytes, for disk accounting, span = widest event-time range of any
 * chunk the stream ever had (max − min ts; time-index.ts; absent in stores written before it).
 */
import type { Severity } from '../protocol/severity.js';
import { SEVERITIES } from '../protocol/severity.js';
import type { RecordFilter } from '../filter/filter.js';
import { matchLabels } from '../filter/filter.js';
import { StoreCorruptError } from './store-error.js';
import { storedTs } from './stored-ts.js';

/** A stream and its counters. */
export interface Stream {
  readonly sid: number;
  readonly service: string;
  readonly severity: Severity;
  readonly host: string | undefined;
  readonly file: string | undefined;
  n: number;
  /** Newest event time stored, -Infinity when none. */
  lastTs: number;
  bytes: number;
  /** Widest chunk event-time range (maxTs − minTs) ever stored; never shrinks (time-index.ts). */
  span: number;
}

type Level<K, V> = Map<K, V>;
const SEVERITY_SET = new Set<string>(SEVERITIES);

/** Label tuples ↔ stream ids, with per-stream counters; all in memory, mirrored to `streams`. */
export class StreamTable {
  private readonly index: Level<string, Level<Severity, Level<string | undefined, Level<string | undefined, Stream>>>> = new Map();
  /** Streams by id (holes where ids are unused). */
  readonly byId: Array<Stream | undefined> = [];
  private nextSid = 1;
  /** Bumped on every counter change; lets callers cache derived aggregates. */
  version = 0;

  lookup(service: string, severity: Severity, host: string | undefined, file: string | undefined): Stream | undefined {
    return this.index.get(service)?.get(severity)?.get(host)?.get(file);
  }

  /** The stream for a label tuple, created (in memory) when new. */
  getOrCreate(service: string, severity: Severity, host: string | undefined, file: string | undefined): Stream {
    // Consecutive records of a batch usually share labels: skip the four map lookups then.
    const last = this.last;
    if (last && last.severity === severity && last.service === service && last.host === host && last.file === file) return last;
    return (this.last = this.lookupOrCreate(service, severity, host, file));
  }

  private last: Stream | undefined;

  private lookupOrCreate(service: string, severity: Severity, host: string | undefined, file: string | undefined): Stream {
    let bySev = this.index.get(service);
    if (!bySev) this.index.set(service, (bySev = new Map()));
    let byHost = bySev.get(severity);
    if (!byHost) bySev.set(severity, (byHost = new Map()));
    let byFile = byHost.get(host);
    if (!byFile) byHost.set(host, (byFile = new Map()));
    let s = byFile.get(file);
    if (!s) {
      s = { sid: this.nextSid++, service, severity, host, file, n: 0, lastTs: -Infinity, bytes: 0, span: 0 };
      byFile.set(file, s);
      this.byId[s.sid] = s;
    }
    return s;
  }

  /** Adds a stream read from the `streams` db at open. */
  load(sid: number, value: unknown): Stream {
    if (!Array.isArray(value) || value.length < 7 || typeof value[0] !== 'string' || !SEVERITY_SET.has(value[1])) {
      throw new StoreCorruptError(`stream ${sid} has a malformed definition`);
    }
    const [service, severity, host, file, n, lastTs, bytes, span] = value as [string, Severity, string | null, string | null, number, number | null, number, number?];
    const s = this.getOrCreate(service, severity, host ?? undefined, file ?? undefined);
    // getOrCreate numbered it; re-key it under its stored id.
    delete this.byId[s.sid];
    (s as { sid: number }).sid = sid;
    this.byId[sid] = s;
    this.nextSid = Math.max(this.nextSid, sid + 1);
    s.n = Number(n) || 0;
    // Older hubs stored µs/ns epochs as ms (stored-ts.ts).
    s.lastTs = typeof lastTs === 'number' ? storedTs(lastTs) : -Infinity;
    s.bytes = Number(bytes) || 0;
    s.span = Number(span) || 0;
    return s;
  }

  /** The persisted form of a stream (see header). */
  static encode(s: Stream): unknown[] {
    return [s.service, s.severity, s.host ?? null, s.file ?? null, s.n, s.n > 0 && Number.isFinite(s.lastTs) ? s.lastTs : null, s.bytes, s.span];
  }

  /** Streams whose labels can match the filter and that hold records. */
  candidates(f: RecordFilter): Stream[] {
    const out: Stream[] = [];
    for (const s of this.byId) if (s && s.n > 0 && matchLabels(f, s.service, s.severity, s.host, s.file)) out.push(s);
    return out;
  }

  *all(): IterableIterator<Stream> {
    for (const s of this.byId) if (s) yield s;
  }
}
