/**
 * The LMDB store: opens the environment, recovers in-memory state, and exposes the Store contract
 * (types.ts). Writes go through group commit (writer.ts); queries are lazy generators (query.ts).
 *
 * Write path (docs/storage.md): a commit group is acked once its records are in the `log` db
 * (one value per group, log.ts) with the shippers' seqs and the stream counters, committed and
 * fsynced. The indexer (indexer.ts; the work in a worker thread) later builds the chunks and
 * indexes below from each log value and, in ONE transaction, writes them, advances meta
 * "indexed" and deletes the log value. Queries read chunks below "indexed" and the log above it
 * (log-tail.ts), so a record is visible from its ack on; after kill -9 the indexer resumes from
 * the log.
 *
 * Why blocks, not one LMDB entry per record: at ~600k records/s one B-tree insert (plus index
 * inserts) per record is the bottleneck and stores labels and keys per record. Instead every
 * commit group is split by stream, one LMDB entry per (stream, group) — a "chunk" — so LMDB sees a
 * few hundred puts per group, labels are stored once per stream, and LZ4 sees whole runs of similar
 * lines. Label filters never touch disk (streams are in memory); time and text filters are answered
 * from a small per-chunk meta value; counts come from per-stream counters.
 *
 * Beyond the original sketch: (1) group trigram bitmaps live apart from the per-group directory of
 * chunk bitmaps (`gtri` / `ctri`), because lmdb-js copies values on read and most groups are ruled
 * out by the small one; (2) inside a group, chunks are merged lazily by a heap keyed from their
 * meta, so "newest 100" reads only the chunks that hold them; (3) a whole-chunk text prefilter
 * runs before any record is parsed. Record order inside a group stays arrival order (lines of one
 * file keep their order across severities), which is why chunks interleave by lseq at all.
 *
 * On-disk format (format version 2, in `meta` under "format"; a format 1 store — no log — is
 * upgraded in place on open); one env in `dir`, named dbs:
 *
 *   meta      string key → MessagePack
 *               "format"  → 2
 *               "hub"     → { id: string, tag: string }            (tag: ids.ts, 5 base32hex chars)
 *               "clock"   → { lseq: next lseq, rts: last group rts }   written with every group
 *               "indexed" → first lseq not yet indexed              written with every index step
 *               "sink:<name>" → { id: last id the sink has dealt with }   (hub/sinks/, apart from groups)
 *   log       [groupFirstLseq u48 BE] → one commit group's records (log.ts); deleted once indexed
 *   streams   uint32 stream id → [service, severity, host|null, file|null, n, lastTs|null, bytes]
 *             n and lastTs count logged records (written with the log), bytes indexed chunk bytes
 *   shippers  string shipper id → highest stored batch seq (number), same txn as its records
 *   chunks    [streamId u32 BE][groupFirstLseq u48 BE] → chunk value (chunk.ts), LZ4 over 512 bytes
 *   cmeta     same key → chunk meta: n, min/max ts, rts, first/last offset, trigram bitmap (chunk.ts)
 *   groups    [rts u48 BE][groupFirstLseq u48 BE] → [1][u32 lastOffset][u32 k][k × u32 streamId]
 *   gtri      same key → [u8 log2][group bitmap]          (group-text.ts; bitmaps: trigram.ts)
 *   ctri      same key → per chunk [u32 streamId][u8 log2][chunk bitmap]   (group-text.ts)
 *             gtri/ctri exist only for groups of ≥ 2 chunks; absent means "check each chunk's meta".
 *   tmax      [streamId u32][maxTs f64 BE][groupFirstLseq u48] → [minTs f64][n u32]   (time-index.ts)
 *   tmin      [streamId u32][minTs f64 BE][groupFirstLseq u48] → [maxTs f64][n u32]   event-time walks
 *   vol       [streamId u32][minute u32] → count u32   records per minute of event time (volume.ts)
 *             meta "eventIndex" → 1 once tmax/tmin/vol cover every chunk (built at open otherwise).
 *
 * A record's id is idPrefix(group rts, hub tag) + lseq (ids.ts); lseq = groupFirstLseq + offset.
 * Durability: append resolves after commit AND `flushed` (fsync), see writer.ts.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { open } from 'lmdb';
import type { Database } from 'lmdb';
import type { WireRecord } from '../protocol/frames.js';
import type { ValidRecord } from '../protocol/record.js';
import type { RecordFilter } from '../filter/filter.js';
import { decodeMeta, parseChunk } from './chunk.js';
import { Aggregates } from './counters.js';
import { EVENT_INDEX_VERSION, buildEventIndex } from './event-index.js';
import { deleteBefore } from './delete-before.js';
import { deleteOldestReceived } from './delete-oldest.js';
import { recoverStreams } from './drop-streams.js';
import { decodeGroupValue, type LogGroup } from './group.js';
import { Indexer } from './indexer.js';
import { AppendBuilder } from './append-builder.js';
import type { Segment } from './segment-writer.js';
import { LOG_HEADER_BYTES, LogView, logKey, parseLogKey } from './log.js';
import { isHubTag, makeId, newHubTag } from '../protocol/ids.js';
import { parseGroupKey } from './keys.js';
import { runQuery } from './query.js';
import type { StoreDbs, StoreState } from './state.js';
import { StoreCorruptError } from './store-error.js';
import { StreamTable } from './streams.js';
import type { StreamLimits } from './stream-limits.js';
import type { AppendResult, BatchOrigin, HostSummary, QueryOptions, Store, StoreOptions, StoreStats } from './types.js';
import { MinuteRuns, VolumeIndex } from './volume.js';
import type { VolumeBuckets, VolumeRange } from './volume-query.js';
import { indexVolume, volumeExtent } from './volume-query.js';
import { GroupWriter } from './writer.js';

/** On-disk format version this code reads and writes (meta "format"). */
export const FORMAT_VERSION = 2;
/** Chunk values above this many bytes are LZ4-compressed (off-thread, by lmdb-js). */
export const COMPRESSION_THRESHOLD_BYTES = 512;

export { InvalidCursorError } from './bounds.js';
export { StoreClosedError, StoreCorruptError, StoreUnavailableError } from './store-error.js';
export { isValidId } from '../protocol/ids.js';

/** Opens (creating when missing) the store in `options.dir`. */
export async function openStore(options: StoreOptions): Promise<Store> {
  mkdirSync(options.dir, { recursive: true });
  // eventTurnBatching off: every write is in an explicit root.batch() (writer.ts), and lmdb-js's
  // implicit per-turn batch promise would otherwise reject unobserved when a commit fails.
  const root = open({ path: join(options.dir, 'store'), maxDbs: 16, noMemInit: true, eventTurnBatching: false });
  const bin = { encoding: 'binary', keyEncoding: 'binary' } as const;
  const dbs: StoreDbs = {
    root,
    meta: root.openDB<unknown, string>('meta', {}),
    streams: root.openDB<unknown, number>('streams', { keyEncoding: 'uint32' }),
    shippers: root.openDB<number, string>('shippers', {}),
    chunks: root.openDB<Buffer, Buffer>('chunks', { ...bin, compression: { threshold: COMPRESSION_THRESHOLD_BYTES } }),
    cmeta: root.openDB<Buffer, Buffer>('cmeta', bin),
    groups: root.openDB<Buffer, Buffer>('groups', bin),
    gtri: root.openDB<Buffer, Buffer>('gtri', bin),
    ctri: root.openDB<Buffer, Buffer>('ctri', bin),
    tmax: root.openDB<Buffer, Buffer>('tmax', bin),
    tmin: root.openDB<Buffer, Buffer>('tmin', bin),
    vol: root.openDB<Buffer, Buffer>('vol', bin),
    log: root.openDB<Buffer, Buffer>('log', bin),
  };
  try {
    const state = await recover(dbs);
    return new LmdbStore(state, options);
  } catch (err) {
    await root.close();
    throw err;
  }
}

async function recover(dbs: StoreDbs): Promise<StoreState> {
  const format = dbs.meta.get('format');
  if (format !== undefined && format !== FORMAT_VERSION && format !== 1) {
    throw new Error(`store format ${String(format)} is not supported by this hub (it reads formats 1 and ${FORMAT_VERSION}); use a matching hub version`);
  }
  const clock = (dbs.meta.get('clock') ?? {}) as { lseq?: number; rts?: number };
  const nextLseq = typeof clock.lseq === 'number' ? clock.lseq : 0;
  let hub = dbs.meta.get('hub') as { id?: unknown; tag?: unknown } | undefined;
  if (format !== FORMAT_VERSION || !hub) {
    // New store, or format 1 (no log: everything stored is indexed) upgraded in place.
    hub ??= { id: '', tag: newHubTag() };
    if (!hub.id) hub = { id: `hub-${String(hub.tag)}-${randomBytes(4).toString('hex')}`, tag: hub.tag };
    const h = hub;
    await dbs.root.batch(() => {
      dbs.meta.put('format', FORMAT_VERSION);
      dbs.meta.put('hub', h);
      if (dbs.meta.get('indexed') === undefined) dbs.meta.put('indexed', nextLseq);
      if (format === undefined) dbs.meta.put('eventIndex', EVENT_INDEX_VERSION); // a new store is indexed from its first record
    });
    await dbs.root.flushed;
  }
  if (typeof hub.id !== 'string' || typeof hub.tag !== 'string' || !isHubTag(hub.tag)) throw new StoreCorruptError('meta "hub" entry');
  const streams = new StreamTable();
  const unkept: number[] = [];
  for (const { key, value } of dbs.streams.getRange({})) streams.load(key, value, unkept);
  const dropped = recoverStreams({ dbs, streams }, unkept);
  if (dropped.length > 0) await dbs.root.batch(() => dropped.forEach((op) => (op.value === undefined ? op.db.remove(op.key) : op.db.put(op.key, op.value))));
  const shippers = new Map<string, number>();
  for (const { key, value } of dbs.shippers.getRange({})) if (typeof value === 'number') shippers.set(key, value);
  const indexed = Number(dbs.meta.get('indexed') ?? nextLseq);
  const state: StoreState = {
    dbs,
    hubId: hub.id,
    tag: hub.tag,
    streams,
    nextLseq,
    lastRts: typeof clock.rts === 'number' ? clock.rts : 0,
    lastId: undefined,
    shippers,
    volume: new VolumeIndex(),
    indexed,
    tail: readTail(dbs, indexed),
  };
  for (const { key, value } of dbs.vol.getRange({})) state.volume.load(key, value);
  await buildEventIndex(state, (raw) => parseChunk(raw).ts, decodeMeta);
  countTailVolume(state);
  state.lastId = newestId(state);
  return state;
}

/** The log groups above the indexed cursor: what the indexer resumes from after a restart. */
function readTail(dbs: StoreDbs, indexed: number): LogGroup[] {
  const tail: LogGroup[] = [];
  for (const { key, value } of dbs.log.getRange({ start: logKey(indexed) })) {
    const first = parseLogKey(key);
    if (first === undefined || value.length < LOG_HEADER_BYTES) throw new StoreCorruptError('log entry has a bad key or header');
    tail.push({ first, rts: value.readDoubleLE(1), n: value.readUInt32LE(9) });
  }
  return tail;
}

/** Live minute counts of the records still only in the log (the `vol` db counts indexed ones). */
function countTailVolume(state: StoreState): void {
  for (const g of state.tail) {
    const value = state.dbs.log.getBinary(logKey(g.first));
    if (!value) continue;
    const view = new LogView(value);
    const runs = new MinuteRuns();
    for (let i = 0; i < view.n; i++) runs.add(view.sids[i], view.ts[i]);
    state.volume.countLive(runs.flush(), 1);
  }
}

/** The newest stored id: the last record of the log tail, else of the newest group (the clock's if that entry is unreadable). */
function newestId(state: StoreState): string | undefined {
  const t = state.tail[state.tail.length - 1];
  if (t) return makeId(t.rts, state.tag, t.first + t.n - 1);
  for (const { key, value } of state.dbs.groups.getRange({ reverse: true, limit: 1 })) {
    const gk = parseGroupKey(key);
    try {
      if (gk) return makeId(gk.rts, state.tag, gk.firstLseq + decodeGroupValue(value).lastOffset);
    } catch {
      // fall through to the clock
    }
    return state.nextLseq > 0 ? makeId(state.lastRts, state.tag, state.nextLseq - 1) : undefined;
  }
  return undefined;
}

class LmdbStore implements Store {
  readonly hubId: string;
  private readonly writer: GroupWriter;
  private readonly indexer: Indexer;
  private readonly aggregates: Aggregates;
  private deleting: Promise<unknown> = Promise.resolve();
  private closing?: Promise<void>;

  private readonly dir: string;
  private readonly limits?: StreamLimits;

  constructor(private readonly state: StoreState, options: StoreOptions) {
    this.hubId = state.hubId;
    this.limits = options.limits;
    this.dir = options.dir;
    this.writer = new GroupWriter(state, () => this.indexer.kick(), options.limits);
    this.indexer = new Indexer(state, this.writer, { onError: (err) => options.onIndexError?.(err) });
    this.aggregates = new Aggregates(state.streams);
    if (options.index === false) this.indexer.pause();
    this.indexer.kick(); // resume from the log tail left by the last run
  }

  indexed(): Promise<void> {
    return this.indexer.caughtUp();
  }

  writable(): { ok: boolean; error?: string } {
    const e = this.state.writeError;
    return e ? { ok: false, error: e.message } : { ok: true };
  }

  indexLagRecords(): number {
    let n = 0;
    for (const g of this.state.tail) n += g.n;
    return n;
  }

  append(records: ValidRecord[], origin?: BatchOrigin): Promise<AppendResult> {
    return this.writer.append(records, origin);
  }

  streamCount(): number {
    return this.state.streams.size;
  }

  appendBuilder(records: number, bytes: number): AppendBuilder {
    return new AppendBuilder(this.state.streams, records, bytes, this.limits);
  }

  appendSegment(segment: Segment, origin?: BatchOrigin): Promise<AppendResult> {
    return this.writer.appendSegment(segment, origin);
  }

  ackedSeq(shipper: string): number {
    return this.state.shippers.get(shipper) ?? 0;
  }

  query(filter: RecordFilter, opts: QueryOptions & { ticks: true }): Iterable<WireRecord | null>;
  query(filter: RecordFilter, opts: QueryOptions): Iterable<WireRecord>;
  query(filter: RecordFilter, opts: QueryOptions): Iterable<WireRecord | null> {
    return runQuery(this.state, filter, opts);
  }

  volume(filter: RecordFilter, range: VolumeRange): VolumeBuckets {
    const out: VolumeBuckets = new Map();
    indexVolume(this.state, filter, range, out);
    return out;
  }

  volumeExtent(filter: RecordFilter): { fromMs: number; toMs: number } | undefined {
    return volumeExtent(this.state, filter);
  }

  stats(): StoreStats {
    return this.aggregates.stats();
  }

  hosts(services?: ReadonlySet<string>): HostSummary[] {
    return this.aggregates.hosts(services);
  }

  deleteBefore(tsMs: number): Promise<number> {
    // One deletion at a time: concurrent ones would race over the same chunks' counters.
    // Index the log first, so records still in it are deleted too.
    const run = this.deleting.then(() => this.indexer.caughtUp()).then(() => deleteBefore(this.state, this.writer, tsMs));
    this.deleting = run.catch(() => undefined);
    return run.then((o) => o.deleted);
  }

  deleteOldestReceived(diskBytes: number): Promise<number> {
    const run = this.deleting.then(() => this.indexer.caughtUp()).then(() => {
      // Chunk bytes are most of the used pages; scale so the indexes' share is freed too.
      let chunkBytes = 0;
      for (const s of this.state.streams.all()) chunkBytes += Math.max(0, s.bytes);
      const used = this.diskBytes();
      const want = used > 0 ? Math.ceil((diskBytes * chunkBytes) / used) : diskBytes;
      return deleteOldestReceived(this.state, this.writer, Math.max(1, want));
    });
    this.deleting = run.catch(() => undefined);
    return run.then((o) => o.deleted);
  }

  /** Bytes of LMDB pages in use (all trees, including the free-page tree). The file itself never shrinks. */
  diskBytes(): number {
    const { dbs } = this.state;
    let pages = 2; // the two meta pages
    const st = dbs.root.getStats() as Record<string, Record<string, number> | number>;
    const count = (s: Record<string, number>) => (s.treeBranchPageCount ?? 0) + (s.treeLeafPageCount ?? 0) + (s.overflowPages ?? 0);
    pages += count(st.root as Record<string, number>) + count(st.free as Record<string, number>);
    for (const db of [dbs.meta, dbs.streams, dbs.shippers, dbs.chunks, dbs.cmeta, dbs.groups, dbs.gtri, dbs.ctri, dbs.tmax, dbs.tmin, dbs.vol, dbs.log] as Database[]) {
      pages += count(db.getStats() as Record<string, number>);
    }
    return pages * (st.pageSize as number);
  }

  /** Size of the LMDB data file (what `du` shows; includes free pages LMDB will reuse). */
  fileBytes(): number {
    try {
      return statSync(join(this.dir, 'store')).size;
    } catch {
      return 0;
    }
  }

  lastId(): string | undefined {
    return this.state.lastId;
  }

  sinkCursor(sink: string): string | undefined {
    const v = this.state.dbs.meta.get(`sink:${sink}`) as { id?: unknown } | undefined;
    return typeof v?.id === 'string' ? v.id : undefined;
  }

  async saveSinkCursor(sink: string, id: string): Promise<void> {
    await this.state.dbs.meta.put(`sink:${sink}`, { id });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.indexer.close(); // what is not indexed yet stays in the log for the next open
      this.writer.closed = true;
      await this.writer.drain();
      await this.deleting;
      await this.state.dbs.root.close();
    })();
    return this.closing;
  }
}

