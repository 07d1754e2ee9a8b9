/**
 * The open store's shared state: LMDB handles and the in-memory mirrors every module reads
 * (stream table, lseq/rts clocks, durable shipper seqs, the unindexed log tail). Only the writer
 * (and the indexer, through writer steps) mutates it.
 */
import type { Database, RootDatabase } from 'lmdb';
import type { LogGroup } from './group.js';
import type { StreamTable } from './streams.js';
import type { VolumeIndex } from './volume.js';

/** The LMDB databases of one store (layout in store.ts). */
export interface StoreDbs {
  root: RootDatabase;
  meta: Database<unknown, string>;
  streams: Database<unknown, number>;
  chunks: Database<Buffer, Buffer>;
  cmeta: Database<Buffer, Buffer>;
  groups: Database<Buffer, Buffer>;
  gtri: Database<Buffer, Buffer>;
  ctri: Database<Buffer, Buffer>;
  shippers: Database<number, string>;
  /** Event-time index (time-index.ts). */
  tmax: Database<Buffer, Buffer>;
  tmin: Database<Buffer, Buffer>;
  /** Minute counts per stream (volume.ts). */
  vol: Database<Buffer, Buffer>;
  /** The write-ahead log of commit groups not yet indexed (log.ts). */
  log: Database<Buffer, Buffer>;
}

/** Everything the store's modules share while it is open. */
export interface StoreState {
  dbs: StoreDbs;
  hubId: string;
  /** This hub's 5-char id tag (ids.ts). */
  tag: string;
  streams: StreamTable;
  /** Next local sequence to assign. */
  nextLseq: number;
  /** rts of the last commit group; never decreases. */
  lastRts: number;
  /** Newest durable id. */
  lastId: string | undefined;
  /** Highest durable seq per shipper id. */
  shippers: Map<string, number>;
  /** Records per stream and minute of event time, in memory (volume.ts). */
  volume: VolumeIndex;
  /** First lseq not yet indexed: every record below it is in chunks, every one above in the log. */
  indexed: number;
  /** Committed log groups not yet indexed, in lseq order (all have first ≥ `indexed`). */
  tail: LogGroup[];
  /** Set when the last commit failed (disk full…), cleared by the next one that succeeds. */
  writeError?: Error;
}

/** One write to apply inside a commit: `value` undefined means remove. */
export interface Op {
  db: Database<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  key: Buffer | string | number;
  value?: unknown;
}
