/**
 * The event-time indexes of one chunk, in one place for every writer (index steps, deletion, the
 * one-time build for stores written before them): its `tmax`/`tmin` entries (time-index.ts), its
 * stored minute counts (volume.ts `vol`) and the stream's `span`. Each function pushes the LMDB
 * ops and applies the in-memory part; `revertChunk` undoes that after a failed commit. Live minute
 * counts (every acked record) are the writers' business: append adds, deletion removes.
 */
import type { Op, StoreState } from './state.js';
import type { Stream } from './streams.js';
import { StreamTable } from './streams.js';
import { timeIndexOps } from './time-index.js';
import { runsOf } from './volume.js';

/** A chunk as the event-time indexes see it. */
export interface IndexedChunk {
  s: Stream;
  firstLseq: number;
  minTs: number;
  maxTs: number;
  n: number;
  /** Minute runs of its records' event times (volume.ts MinuteRuns). */
  runs: number[];
}

/** Indexes a new (or rewritten) chunk: time-index entries, stored minute counts, stream span. */
export function indexChunk(state: StoreState, c: IndexedChunk, ops: Op[]): void {
  if (c.n === 0) return;
  ops.push(...timeIndexOps(state.dbs, { sid: c.s.sid, firstLseq: c.firstLseq, minTs: c.minTs, maxTs: c.maxTs, n: c.n }));
  state.volume.store(state.dbs, c.runs, 1, ops);
  const span = c.maxTs - c.minTs;
  if (span > c.s.span) c.s.span = span;
}

/** Removes a chunk's entries (as indexed: the same min/max) and its stored minute counts. */
export function unindexChunk(state: StoreState, c: IndexedChunk, ops: Op[]): void {
  if (c.n === 0) return;
  ops.push(...timeIndexOps(state.dbs, { sid: c.s.sid, firstLseq: c.firstLseq, minTs: c.minTs, maxTs: c.maxTs, n: 0 }, true));
  state.volume.store(state.dbs, c.runs, -1, ops);
}

/** Undoes the in-memory part of indexChunk (`added`) or unindexChunk (`!added`) after a failed commit. */
export function revertChunk(state: StoreState, c: IndexedChunk, added: boolean): void {
  state.volume.revertStored(c.runs, added ? 1 : -1);
}

/** Version of the event-time indexes; meta "eventIndex" holds it once they cover every chunk. */
export const EVENT_INDEX_VERSION = 1;
const BUILD_BATCH_CHUNKS = 2000;

/**
 * Builds the event-time indexes of a store written before they existed (meta "eventIndex" absent):
 * every chunk is parsed once for its event times. Runs at open, before anything is appended.
 */
export async function buildEventIndex(state: StoreState, parseTs: (value: Buffer) => ArrayLike<number>, decodeRange: (meta: Uint8Array) => { minTs: number; maxTs: number }): Promise<void> {
  const { dbs } = state;
  if (dbs.meta.get('eventIndex') === EVENT_INDEX_VERSION) return;
  let ops: Op[] = [];
  const touched = new Set<Stream>();
  const commit = async () => {
    for (const s of touched) ops.push({ db: dbs.streams, key: s.sid, value: StreamTable.encode(s) });
    const batch = ops;
    ops = [];
    touched.clear();
    await dbs.root.batch(() => {
      for (const op of batch) op.value === undefined ? op.db.remove(op.key) : op.db.put(op.key, op.value);
    });
  };
  let n = 0;
  for (const { key, value } of dbs.cmeta.getRange({})) {
    if (key.length !== 10) continue;
    const s = state.streams.byId[key.readUInt32BE(0)];
    const raw = dbs.chunks.get(key);
    if (!s || raw === undefined) continue;
    let c: IndexedChunk;
    try {
      const range = decodeRange(value);
      const ts = parseTs(raw);
      c = { s, firstLseq: key.readUIntBE(4, 6), minTs: range.minTs, maxTs: range.maxTs, n: ts.length, runs: runsOf(s.sid, ts) };
    } catch {
      continue; // an unreadable chunk stays out of the indexes; queries by id still report it
    }
    indexChunk(state, c, ops);
    state.volume.countLive(c.runs, 1);
    touched.add(s);
    if (++n % BUILD_BATCH_CHUNKS === 0) await commit();
  }
  ops.push({ db: dbs.meta, key: 'eventIndex', value: EVENT_INDEX_VERSION });
  await commit();
  await dbs.root.flushed;
}
