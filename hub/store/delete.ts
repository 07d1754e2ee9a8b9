/**
 * Deletion by EVENT time (`DELETE /logs?before=`, `--retention`): removes every record with
 * ts < cutoff. Chunks entirely older are removed with their meta; chunks straddling the cutoff are
 * decoded, filtered and rewritten (same key, fresh meta and bitmap). Work is cut into small steps
 * (a bounded number of chunks and rewritten records each), every step its own transaction through
 * the group-commit writer, with an event-loop turn between steps, so ingest never waits long.
 * Stream counters change in the same transaction as the chunks. Finally, groups whose chunks are
 * all gone are dropped from the oldest end. A chunk that does not decode is left in place (and
 * counted in `skippedCorrupt`) rather than failing the whole deletion.
 */
import type { ValidRecord } from '../protocol/record.js';
import { decodeChunk, decodeMeta, encodeChunk, parseChunk, type ChunkMeta } from './chunk.js';
import type { IndexedChunk } from './event-index.js';
import { indexChunk, revertChunk, unindexChunk } from './event-index.js';
import { decodeGroupValue } from './group.js';
import { chunkKey, parseChunkKey, parseGroupKey } from './keys.js';
import { runsOf } from './volume.js';
import type { Op, StoreState } from './state.js';
import type { Stream } from './streams.js';
import type { GroupWriter, StepPlan } from './writer.js';

const STEP_MAX_CHUNKS = 256;
const STEP_MAX_REWRITTEN_RECORDS = 20_000;
const GC_MAX_GROUPS = 1024;

/** What a deletion did. */
export interface DeleteOutcome {
  deleted: number;
  skippedCorrupt: number;
}

/** Yields one event-loop turn between deletion steps. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Deletes every record with event time < `tsMs`, in small steps through the writer. */
export async function deleteBefore(state: StoreState, writer: GroupWriter, tsMs: number): Promise<DeleteOutcome> {
  const out: DeleteOutcome = { deleted: 0, skippedCorrupt: 0 };
  for (const s of [...state.streams.all()]) {
    if (s.n <= 0) continue;
    let from: number | undefined = 0;
    while (from !== undefined) {
      const at: number = from;
      const r = await writer.step(() => planStreamStep(state, s, at, tsMs));
      out.deleted += r.deleted;
      out.skippedCorrupt += r.skippedCorrupt;
      from = r.next;
      await turn();
    }
  }
  await dropEmptyGroups(state, writer);
  await state.dbs.root.flushed;
  return out;
}

/** Drops groups whose chunks are all gone, from the oldest end, in small steps. */
export async function dropEmptyGroups(state: StoreState, writer: GroupWriter): Promise<void> {
  for (;;) {
    const more = await writer.step(() => planGroupGc(state));
    if (!more) break;
    await turn();
  }
}

type StreamStep = DeleteOutcome & { next: number | undefined };

function planStreamStep(state: StoreState, s: Stream, from: number, tsMs: number): StepPlan<StreamStep> {
  state.dbs.root.resetReadTxn(); // see every commit made before this step
  const { chunks, cmeta } = state.dbs;
  const ops: Op[] = [];
  const result: StreamStep = { deleted: 0, skippedCorrupt: 0, next: undefined };
  const before = { n: s.n, lastTs: s.lastTs, bytes: s.bytes, span: s.span };
  const reindexed: Reindexed = [];
  const unindex = (firstLseq: number, ts: ArrayLike<number>, minTs: number, maxTs: number) =>
    unindexRecords(state, { s, firstLseq, minTs, maxTs, n: ts.length, runs: runsOf(s.sid, ts) }, ops, reindexed);
  let scanned = 0;
  let rewritten = 0;
  for (const { key, value } of cmeta.getRange({ start: chunkKey(s.sid, from) })) {
    const k = parseChunkKey(key);
    if (!k || k.streamId !== s.sid) break;
    if (scanned >= STEP_MAX_CHUNKS || rewritten >= STEP_MAX_REWRITTEN_RECORDS) {
      result.next = k.firstLseq;
      break;
    }
    scanned++;
    let meta;
    try {
      meta = decodeMeta(value);
    } catch {
      result.skippedCorrupt++;
      continue;
    }
    if (meta.minTs >= tsMs) continue;
    const ck = chunkKey(s.sid, k.firstLseq);
    if (meta.maxTs < tsMs) {
      result.deleted += dropWholeChunk(state, s, k.firstLseq, meta, ops, reindexed);
      continue;
    }
    let entries;
    try {
      const raw = chunks.get(ck);
      if (raw === undefined) continue;
      entries = decodeChunk(raw);
    } catch {
      result.skippedCorrupt++;
      continue;
    }
    rewritten += entries.length;
    const records: ValidRecord[] = [];
    const keep: number[] = [];
    for (const e of entries) {
      if (e.ts < tsMs) continue;
      records[e.offset] = { ts: e.ts, message: e.message, service: s.service, severity: s.severity, fields: e.fields, truncated: e.truncated };
      keep.push(e.offset);
    }
    const removed = entries.length - keep.length;
    if (removed === 0) continue;
    const c = encodeChunk(records, keep, meta.rts);
    ops.push({ db: chunks, key: ck, value: c.value }, { db: cmeta, key: ck, value: c.meta });
    unindex(k.firstLseq, entries.map((e) => e.ts), meta.minTs, meta.maxTs);
    if (keep.length > 0) {
      const kept: IndexedChunk = { s, firstLseq: k.firstLseq, minTs: c.minTs, maxTs: c.maxTs, n: keep.length, runs: runsOf(s.sid, keep.map((o) => records[o].ts)) };
      indexChunk(state, kept, ops);
      state.volume.countLive(kept.runs, 1);
      reindexed.push([kept, true]);
    }
    result.deleted += removed;
    s.n -= removed;
    s.bytes += c.value.length - meta.valueBytes;
  }
  if (s.n <= 0) {
    s.n = 0;
    s.lastTs = -Infinity;
  }
  if (result.deleted > 0) state.streams.version++;
  return {
    ops,
    touched: result.deleted > 0 ? [s] : [],
    result,
    undo() {
      Object.assign(s, before);
      undoReindexed(state, reindexed);
    },
  };
}

/** Chunks whose event-time index entries a step removed (false) or wrote (true), for undo. */
export type Reindexed = Array<[IndexedChunk, boolean]>;

/** Removes a chunk's event-time index entries; live minute counts follow the records. */
function unindexRecords(state: StoreState, c: IndexedChunk, ops: Op[], reindexed: Reindexed): void {
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
    if (++seen >= GC_MAX_GROUPS) return { ops, result: true };
  }
  return { ops, result: false };
}
