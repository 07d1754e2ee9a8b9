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
import { LabelIndex } from './label-index.js';
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

const SEVERITY_SET = new Set<string>(SEVERITIES);

/**
 * Label tuples ↔ stream ids, with per-stream counters; all in memory, mirrored to `streams`.
 * Streams are indexed by service and by host, so a filter naming either looks only at those
 * streams (issue 8: a store may hold hundreds of thousands of them). A stream whose last record
 * is deleted is dropped (`remove`, drop-streams.ts), so memory follows what is stored.
 */
export class StreamTable {
  private readonly byLabels = new LabelIndex<Stream>();
  private count = 0;
  private readonly byService = new Map<string, Set<Stream>>();
  private readonly byHost = new Map<string, Set<Stream>>();
  /** Streams by id (holes where ids are unused or dropped). */
  readonly byId: Array<Stream | undefined> = [];
  /** Next id to hand out; never reused, also across restarts (meta "nextSid", drop-streams.ts). */
  nextSid = 1;
  /** Bumped on every counter change; lets callers cache derived aggregates. */
  version = 0;
  private last: Stream | undefined;

  lookup(service: string, severity: Severity, host: string | undefined, file: string | undefined): Stream | undefined {
    return this.byLabels.get(service, severity, host, file);
  }

  /** The stream for a label tuple, created (in memory) when new. */
  getOrCreate(service: string, severity: Severity, host: string | undefined, file: string | undefined): Stream {
    // Consecutive records of a batch usually share labels: skip the four map lookups then.
    const last = this.last;
    if (last && last.severity === severity && last.service === service && last.host === host && last.file === file) return last;
    let s = this.byLabels.get(service, severity, host, file);
    if (!s) {
      s = { sid: this.nextSid++, service, severity, host, file, n: 0, lastTs: -Infinity, bytes: 0, span: 0 };
      this.byLabels.set(s);
      this.add(s);
    }
    return (this.last = s);
  }

  /** Streams in the table (with or without records). */
  get size(): number {
    return this.count;
  }

  /** How many streams a service has. */
  countOf(service: string): number {
    return this.byService.get(service)?.size ?? 0;
  }

  /** Forgets a stream (its last record is gone); a later record with its labels gets a new id. */
  remove(s: Stream): void {
    if (!this.byLabels.delete(s)) return;
    delete this.byId[s.sid];
    this.count--;
    unlink(this.byService, s.service, s);
    if (s.host !== undefined) unlink(this.byHost, s.host, s);
    if (this.last === s) this.last = undefined;
    this.version++;
  }

  private add(s: Stream): void {
    this.byId[s.sid] = s;
    this.count++;
    link(this.byService, s.service, s);
    if (s.host !== undefined) link(this.byHost, s.host, s);
  }

  /**
   * Adds a stream read from the `streams` db at open. When another stored id has the same labels
   * (a dropped stream's entry rewritten by a retry), the one with records is kept (the first when
   * both have); the id not kept goes into `unkept`, for its entry to be removed.
   */
  load(sid: number, value: unknown, unkept: number[]): void {
    if (!Array.isArray(value) || value.length < 7 || typeof value[0] !== 'string' || !SEVERITY_SET.has(value[1])) {
      throw new StoreCorruptError(`stream ${sid} has a malformed definition`);
    }
    const [service, severity, host, file, n, lastTs, bytes, span] = value as [string, Severity, string | null, string | null, number, number | null, number, number?];
    const s: Stream = { sid, service, severity, host: host ?? undefined, file: file ?? undefined, n: Number(n) || 0, lastTs: -Infinity, bytes: Number(bytes) || 0, span: Number(span) || 0 };
    // Older hubs stored µs/ns epochs as ms (stored-ts.ts).
    s.lastTs = typeof lastTs === 'number' ? storedTs(lastTs) : -Infinity;
    this.nextSid = Math.max(this.nextSid, sid + 1);
    const taken = this.byLabels.get(s.service, s.severity, s.host, s.file);
    if (taken && (taken.n > 0 || s.n <= 0)) {
      unkept.push(sid);
      return;
    }
    if (taken) {
      this.remove(taken); // an empty duplicate loaded first gives way
      unkept.push(taken.sid);
    }
    this.byLabels.set(s);
    this.add(s);
  }

  /** The persisted form of a stream (see header). */
  static encode(s: Stream): unknown[] {
    return [s.service, s.severity, s.host ?? null, s.file ?? null, s.n, s.n > 0 && Number.isFinite(s.lastTs) ? s.lastTs : null, s.bytes, s.span];
  }

  /**
   * Streams whose labels can match the filter and that hold records. A filter naming services or
   * hosts looks only at their streams (the smaller side); otherwise every stream is looked at.
   */
  candidates(f: RecordFilter): Stream[] {
    const out: Stream[] = [];
    for (const s of this.scope(f)) if (s && s.n > 0 && matchLabels(f, s.service, s.severity, s.host, s.file)) out.push(s);
    return out;
  }

  /**
   * The candidates with a by-id lookup. When the filter names no labels every stream with records
   * is one, and the lookup reads the table directly: no per-query map over 200k streams.
   */
  candidateSet(f: RecordFilter): Candidates {
    const list = this.candidates(f);
    if (!hasLabels(f)) {
      const byId = this.byId;
      return { list, get: (sid) => { const st = byId[sid]; return st && st.n > 0 ? st : undefined; } };
    }
    let map: Map<number, Stream> | undefined;
    return {
      list,
      get: (sid) => {
        if (!map) {
          map = new Map();
          for (const st of list) map.set(st.sid, st);
        }
        return map.get(sid);
      },
    };
  }

  private scope(f: RecordFilter): Iterable<Stream | undefined> {
    const bySvc = f.services && pick(this.byService, f.services);
    const byHost = f.hosts && pick(this.byHost, f.hosts);
    if (bySvc && byHost) return total(bySvc) <= total(byHost) ? concat(bySvc) : concat(byHost);
    if (bySvc ?? byHost) return concat((bySvc ?? byHost)!);
    return this.byId;
  }

  *all(): IterableIterator<Stream> {
    for (const s of this.byId) if (s) yield s;
  }
}

/** A query's candidate streams (StreamTable.candidateSet). */
export interface Candidates {
  readonly list: Stream[];
  /** The candidate with this id, undefined when it is not one. */
  get(sid: number): Stream | undefined;
}

function hasLabels(f: RecordFilter): boolean {
  return f.services !== undefined || f.severities !== undefined || f.hosts !== undefined || f.files !== undefined;
}

/** Adds `s` under `k`; returns how many are under `k` now. */
function link(m: Map<string, Set<Stream>>, k: string, s: Stream): void {
  let set = m.get(k);
  if (!set) m.set(k, (set = new Set()));
  set.add(s);
}

function unlink(m: Map<string, Set<Stream>>, k: string, s: Stream): void {
  const set = m.get(k);
  if (!set) return;
  set.delete(s);
  if (set.size === 0) m.delete(k);
}

function pick(m: Map<string, Set<Stream>>, keys: ReadonlySet<string>): Array<Set<Stream>> {
  const out: Array<Set<Stream>> = [];
  for (const k of keys) {
    const set = m.get(k);
    if (set) out.push(set);
  }
  return out;
}

function total(sets: Array<Set<Stream>>): number {
  let n = 0;
  for (const s of sets) n += s.size;
  return n;
}

function* concat(sets: Array<Set<Stream>>): Generator<Stream> {
  for (const set of sets) yield* set;
}
