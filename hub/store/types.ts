/**
 * The store contract: what ingest, queries, the live tail and retention need from storage.
 * One implementation (LMDB, ./store.ts); this file holds no logic so every layer can depend on
 * it without pulling LMDB in.
 */
import type { WireRecord } from '../protocol/frames.js';
import type { ValidRecord } from '../protocol/record.js';
import type { Severity } from '../protocol/severity.js';
import type { RecordFilter } from '../filter/filter.js';
import type { AppendBuilder } from './append-builder.js';
import type { Segment } from './segment-writer.js';

export interface StoreOptions {
  /** Data directory; created when missing. */
  dir: string;
  /** Called when indexing a logged group fails (it is retried; the records stay in the log, visible). */
  onIndexError?: (err: unknown) => void;
  /** false: never index, every record stays in the log (tests of the log-tail read path). Default true. */
  index?: boolean;
  /** Stream limits (stream-limits.ts); none when undefined. */
  limits?: { maxStreams: number; maxStreamsPerService: number };
}

/** Identifies a shipper batch for exactly-once storage (docs/protocol.md). */
export interface BatchOrigin {
  shipper: string;
  seq: number;
}

/** Records just stored: how many, and (built on first use) the records themselves. */
export interface StoredRecords {
  readonly count: number;
  /** With their hub-assigned id and rts, in id order. */
  readonly records: WireRecord[];
}

export type AppendResult =
  /**
   * Stored now. `refused` lists the indices (ascending) of the records not stored because they
   * would have created a stream past a limit (reason `stream_limit`, stream-limits.ts).
   */
  | ({ duplicate: false; refused?: number[] } & StoredRecords)
  /** This (shipper, seq) was stored before: nothing was written. */
  | { duplicate: true };

export interface QueryOptions {
  /** `asc` = oldest first. */
  order: 'asc' | 'desc';
  /**
   * `receive` (default): by id, i.e. receive order (ids sort by receive time across hubs), what
   * live tails and `after=` replays use. `event`: by (timestamp, id), what GET /logs uses.
   */
  by?: 'receive' | 'event';
  /**
   * Exclusive cursor. By receive: with asc, ids greater than this; with desc, ids less than this.
   * By event: records after (afterTs, after) in (timestamp, id) order; afterTs is then required.
   */
  after?: string;
  /** Event time of the record `after` names (by event only). */
  afterTs?: number;
  /** Stop after this many matches. */
  limit?: number;
  /** Yield `null` between chunks, so an async caller can give the event loop a turn. */
  ticks?: boolean;
}

export interface StoreStats {
  total: number;
  perService: Record<string, number>;
  perSeverity: Partial<Record<Severity, number>>;
  /** Latest event time (epoch ms) per service. */
  lastPerService: Record<string, number>;
  /** Counts per service × severity. */
  perServiceSeverity: Record<string, Partial<Record<Severity, number>>>;
}

export interface HostSummary {
  host: string;
  count: number;
  /** Latest event time (epoch ms) on this host. */
  lastTs: number;
  files: Array<{ file: string; count: number; lastTs: number }>;
}

export interface Store {
  /** Stable id of this hub's store (persisted in the data directory). */
  readonly hubId: string;
  /**
   * Appends records durably. Resolves only once the records (and the origin's seq) are committed
   * AND flushed to disk: acknowledging before that would break "nothing acknowledged is lost".
   * Concurrent appends are grouped into one transaction (group commit).
   */
  append(records: ValidRecord[], origin?: BatchOrigin): Promise<AppendResult>;
  /** A builder for one append from a frame's bytes (ingest's fast path); about `records` records of `bytes` bytes. */
  appendBuilder(records: number, bytes: number): AppendBuilder;
  /** Appends what a builder made; the same guarantees as `append`. */
  appendSegment(segment: Segment, origin?: BatchOrigin): Promise<AppendResult>;
  /** Highest seq stored for this shipper id, 0 when never seen. */
  ackedSeq(shipper: string): number;
  /** Lazily yields matching records in the order `opts` asks for. Cheap to abandon early. */
  query(filter: RecordFilter, opts: QueryOptions & { ticks: true }): Iterable<WireRecord | null>;
  query(filter: RecordFilter, opts: QueryOptions): Iterable<WireRecord>;
  /**
   * Record counts per event-time bucket and severity over whole minutes, from the in-memory index
   * (volume-query.ts); only the filter's labels apply. Bucket start (epoch ms) → severity → n.
   */
  volume(filter: RecordFilter, range: { loMinute: number; hiMinute: number; stepMs: number }): Map<number, Partial<Record<Severity, number>>>;
  /** Oldest and newest event time (minute resolution) among streams the filter's labels pick. */
  volumeExtent(filter: RecordFilter): { fromMs: number; toMs: number } | undefined;
  /** Streams holding records (or admitted for an append in flight). */
  streamCount(): number;
  /** Aggregate counters, O(1): maintained on write. */
  stats(): StoreStats;
  /** Hosts and their files; with `services`, counted over those services' records only. */
  hosts(services?: ReadonlySet<string>): HostSummary[];
  /** Deletes records whose event time is before `tsMs`; returns how many. Does not stall ingest. */
  deleteBefore(tsMs: number): Promise<number>;
  /**
   * Deletes whole commit groups, oldest RECEIVED first, about `diskBytes` of used store space
   * (event times play no part); returns how many records. Does not stall ingest.
   */
  deleteOldestReceived(diskBytes: number): Promise<number>;
  /** Bytes used on disk by the store. */
  diskBytes(): number;
  /** Whether the last write committed; `error` says why not (disk full…). Reads work either way. */
  writable(): { ok: boolean; error?: string };
  /** Resolves once every record acked so far is indexed (moved from the log into chunks). */
  indexed(): Promise<void>;
  /** Records acked but not yet indexed (still only in the log; queries read them from there). */
  indexLagRecords(): number;
  /** Newest id stored, or undefined when empty. */
  lastId(): string | undefined;
  /** A forwarding sink's saved cursor (the last id it has dealt with), see docs/forwarding.md. */
  sinkCursor(sink: string): string | undefined;
  /** Saves a sink's cursor (meta key `sink:<name>`); resolves once committed. */
  saveSinkCursor(sink: string, id: string): Promise<void>;
  close(): Promise<void>;
}
