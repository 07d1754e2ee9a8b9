/**
 * What both deletions (by event time, delete-before.ts; by receive order, delete-oldest.ts)
 * share: dropping a whole chunk with its index entries and counters, undoing the in-memory index
 * counts after a failed commit, and finally dropping groups whose chunks are all gone, from the
 * oldest end. Each runs in small steps through the group-commit writer.
 */
import { performance } from 'node:perf_hooks';
import { parseChunk, type ChunkMeta } from './chunk.js';
import type { IndexedChunk } from './event-index.js';
import { revertChunk, unindexChunk } from './event-index.js';
import { decodeGroupValue } from './group.js';
import { chunkKey, parseGroupKey } from './keys.js';
import { runsOf } from './volume.js';
import type { Op, StoreState } from './state.js';
import type { Stream } from './streams.js';
import type { GroupWriter, StepPlan } from './writer.js';

const GC_MAX_GROUPS = 1024;
const GC_MAX_MS = 4;

/** What a deletion did. */
export interface DeleteOutcome {
  deleted: number;
  skippedCorrupt: number;
}

/** Yields one event-loop turn between deletion steps. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Drops groups whose chunks are all gone, from the oldest end, in small steps. */
export async function dropEmptyGroups(state: StoreState, writer: GroupWriter): Promise<void> {
  for (;;) {
    const more = await writer.step(() => planGroupGc(state));
    if (!more) break;
    await turn();
  }
}

/** Chunks whose event-time index entries a step removed (false) or wrote (true), for undo. */
export type Reindexed = Array<[IndexedChunk, boolean]>;

/** Removes a chunk's event-time index entries; live minute counts follow the records. */
export function unindexRecords(state: StoreState, c: IndexedChunk, ops: Op[], reindexed: Reindexed): void {
  unindexChunk(state, c, ops);
  state.volume.countLive(c.runs, -1);
  reindexed.push([c, false]);
}

/** Puts the in-memory index counts back after a step's commit failed. */
export function undoReindexed(state: StoreState, reindexed: Reindexed): void {
  for (const [c, added] of reindexed) {
    revertChunk(state, c, added);
    state.volume.countLive(c.runs, added ? -1 : 1);
  }
  state.streams.version++;
}

/**
 * Deletes one whole chunk: its value, its meta, its event-time index entries and its share of
 * the stream's counters (all in `ops`, one transaction). Returns the records removed.
 */
export function dropWholeChunk(state: StoreState, s: Stream, firstLseq: number, meta: ChunkMeta, ops: Op[], reindexed: Reindexed): number {
  const { chunks, cmeta } = state.dbs;
  const ck = chunkKey(s.sid, firstLseq);
  let ts: ArrayLike<number> = [];
  try {
    const raw = chunks.get(ck);
    if (raw !== undefined) ts = parseChunk(raw).ts;
  } catch {
    // unreadable: its minute counts stay (volume slightly high), the records go
  }
  if (ts.length > 0) unindexRecords(state, { s, firstLseq, minTs: meta.minTs, maxTs: meta.maxTs, n: ts.length, runs: runsOf(s.sid, ts) }, ops, reindexed);
  ops.push({ db: chunks, key: ck }, { db: cmeta, key: ck });
  s.n -= meta.n;
  s.bytes -= meta.valueBytes;
  return meta.n;
}

/** Drops empty groups from the oldest end; the result says whether to run again. */
function planGroupGc(state: StoreState): StepPlan<boolean> {
  state.dbs.root.resetReadTxn();
  const { groups, gtri, ctri, cmeta } = state.dbs;
  const ops: Op[] = [];
  let seen = 0;
  const started = performance.now();
  for (const { key, value } of groups.getRange({})) {
    const gk = parseGroupKey(key);
    if (!gk) break;
    let live = false;
    try {
      live = decodeGroupValue(value).streamIds.some((sid) => cmeta.doesExist(chunkKey(sid, gk.firstLseq)));
    } catch {
      live = true; // unreadable group entry: keep it, never guess
    }
    if (live) return { ops, result: false };
    ops.push({ db: groups, key }, { db: gtri, key }, { db: ctri, key });
    // Bounded in count and in time: every group costs a lookup per stream it held.
    if (++seen >= GC_MAX_GROUPS || performance.now() - started > GC_MAX_MS) return { ops, result: true };
  }
  return { ops, result: false };
}
