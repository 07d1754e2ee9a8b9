/**
 * Deletion by EVENT time (`DELETE /logs?before=`, `--retention`): removes every record with
 * ts < cutoff, touching only what can hold such records (issue 8: 200k streams must not cost a
 * transaction each). Streams whose oldest live minute (volume.ts) is at or after the cutoff are
 * skipped in memory; in the others, the `tmin` index (time-index.ts) names exactly the chunks
 * whose oldest record is before the cutoff. Chunks entirely older go with their meta; chunks
 * straddling the cutoff are decoded, filtered and rewritten (same key, fresh meta and bitmap).
 * Work is cut into steps of a bounded number of streams, chunks and rewritten records, each its
 * own transaction through the group-commit writer with an event-loop turn between, so ingest
 * never waits long. Stream counters change in the same transaction as the chunks; a stream left
 * empty is dropped (drop-streams.ts). A chunk that does not decode is left in place (counted in
 * `skippedCorrupt`) rather than failing the whole deletion.
 */
import { performance } from 'node:perf_hooks';
import type { ValidRecord } from '../protocol/record.js';
import { decodeChunk, decodeMeta, encodeChunk, type ChunkMeta } from './chunk.js';
import type { IndexedChunk } from './event-index.js';
import { indexChunk } from './event-index.js';
import type { DeleteOutcome, Reindexed } from './delete.js';
import { dropEmptyGroups, dropWholeChunk, turn, undoReindexed, unindexRecords } from './delete.js';
import { emptiedStreams, forgetEmpty } from './drop-streams.js';
import { chunkKey } from './keys.js';
import type { Op, StoreState } from './state.js';
import type { Stream } from './streams.js';
import { parseTimeEntry, timeSeek } from './time-index.js';
import { MINUTE_MS, runsOf } from './volume.js';
import type { GroupWriter, StepPlan } from './writer.js';

const STEP_MAX_STREAMS = 1024;
const STEP_MAX_CHUNKS = 2048;
const STEP_MAX_REWRITTEN_RECORDS = 20_000;
/** Planning a step reads and decodes chunks on the event loop: it stops after this long. */
export const STEP_MAX_MS = 4;

/** Where the next step starts: stream `i` of the list, at `tmin` key `from` (its start when undefined). */
interface Position {
  i: number;
  from?: Buffer;
}

type Step = DeleteOutcome & { emptied: Stream[]; next: Position };

/** Deletes every record with event time < `tsMs`, in small steps through the writer. */
export async function deleteBefore(state: StoreState, writer: GroupWriter, tsMs: number): Promise<DeleteOutcome> {
  const out: DeleteOutcome = { deleted: 0, skippedCorrupt: 0 };
  const todo = streamsBefore(state, tsMs);
  for (let at: Position = { i: 0 }; at.i < todo.length; ) {
    const pos = at;
    const r = await writer.step(() => planStep(state, todo, pos, tsMs));
    out.deleted += r.deleted;
    out.skippedCorrupt += r.skippedCorrupt;
    forgetEmpty(state, r.emptied);
    at = r.next;
    await turn();
  }
  await dropEmptyGroups(state, writer);
  await state.dbs.root.flushed;
  return out;
}

/** Streams that may hold a record older than `tsMs`: their oldest live minute starts before it. */
function streamsBefore(state: StoreState, tsMs: number): Stream[] {
  const out: Stream[] = [];
  for (const s of state.streams.all()) {
    const m = s.n > 0 ? state.volume.oldestMinute(s.sid) : undefined;
    if (m !== undefined && m * MINUTE_MS < tsMs) out.push(s);
  }
  return out;
}

/** What one step may still do, and what it changed (for counters, undo and the result). */
interface StepWork {
  ops: Op[];
  reindexed: Reindexed;
  saved: Map<Stream, Pick<Stream, 'n' | 'lastTs' | 'bytes' | 'span'>>;
  result: Step;
  chunks: number;
  rewritten: number;
  /** performance.now() when the step's planning began. */
  started: number;
}

function planStep(state: StoreState, todo: Stream[], pos: Position, tsMs: number): StepPlan<Step> {
  state.dbs.root.resetReadTxn(); // see every commit made before this step
  const w: StepWork = { ops: [], reindexed: [], saved: new Map(), result: { deleted: 0, skippedCorrupt: 0, emptied: [], next: { i: todo.length } }, chunks: 0, rewritten: 0, started: performance.now() };
  const end = Math.min(todo.length, pos.i + STEP_MAX_STREAMS);
  let i = pos.i;
  for (let from = pos.from; i < end; i++, from = undefined) {
    const stopAt = deleteInStream(state, todo[i], from, tsMs, w);
    if (stopAt) {
      w.result.next = { i, from: stopAt };
      break;
    }
  }
  if (i >= end && end < todo.length) w.result.next = { i: end };
  const touched: Stream[] = [];
  for (const s of w.saved.keys()) {
    if (s.n <= 0) {
      s.n = 0;
      s.lastTs = -Infinity;
    } else touched.push(s);
  }
  w.result.emptied = emptiedStreams(state, w.saved.keys(), w.ops);
  if (w.saved.size > 0) state.streams.version++;
  return {
    ops: w.ops,
    touched,
    result: w.result,
    undo() {
      for (const [s, before] of w.saved) Object.assign(s, before);
      undoReindexed(state, w.reindexed);
    },
  };
}

/**
 * Deletes what is older than the cutoff in one stream's chunks, from `tmin` key `from`; returns
 * the key to resume at when the step's budget ran out, undefined when the stream is done.
 */
function deleteInStream(state: StoreState, s: Stream, from: Buffer | undefined, tsMs: number, w: StepWork): Buffer | undefined {
  if (s.n <= 0) return undefined;
  const range = state.dbs.tmin.getRange({ start: from ?? timeSeek(s.sid, 0, false), end: timeSeek(s.sid, tsMs, false) });
  for (const { key, value } of range) {
    if (w.chunks >= STEP_MAX_CHUNKS || w.rewritten >= STEP_MAX_REWRITTEN_RECORDS || (w.chunks > 0 && performance.now() - w.started > STEP_MAX_MS)) return Buffer.from(key);
    const e = parseTimeEntry(key, value, false);
    if (!e || e.sid !== s.sid) break;
    w.chunks++;
    const mv = state.dbs.cmeta.get(chunkKey(s.sid, e.firstLseq));
    if (mv === undefined) continue;
    let meta: ChunkMeta;
    try {
      meta = decodeMeta(mv);
    } catch {
      w.result.skippedCorrupt++;
      continue;
    }
    if (meta.minTs >= tsMs) continue;
    if (!w.saved.has(s)) w.saved.set(s, { n: s.n, lastTs: s.lastTs, bytes: s.bytes, span: s.span });
    if (meta.maxTs < tsMs) w.result.deleted += dropWholeChunk(state, s, e.firstLseq, meta, w.ops, w.reindexed);
    else rewriteChunk(state, s, e.firstLseq, meta, tsMs, w);
  }
  return undefined;
}

/** Rewrites a chunk that straddles the cutoff with only its records at or after it. */
function rewriteChunk(state: StoreState, s: Stream, firstLseq: number, meta: ChunkMeta, tsMs: number, w: StepWork): void {
  const { chunks, cmeta } = state.dbs;
  const ck = chunkKey(s.sid, firstLseq);
  let entries;
  try {
    const raw = chunks.get(ck);
    if (raw === undefined) return;
    entries = decodeChunk(raw);
  } catch {
    w.result.skippedCorrupt++;
    return;
  }
  w.rewritten += entries.length;
  const records: ValidRecord[] = [];
  const keep: number[] = [];
  for (const e of entries) {
    if (e.ts < tsMs) continue;
    records[e.offset] = { ts: e.ts, message: e.message, service: s.service, severity: s.severity, fields: e.fields, truncated: e.truncated };
    keep.push(e.offset);
  }
  const removed = entries.length - keep.length;
  if (removed === 0) return;
  const c = encodeChunk(records, keep, meta.rts);
  w.ops.push({ db: chunks, key: ck, value: c.value }, { db: cmeta, key: ck, value: c.meta });
  const ts = entries.map((e) => e.ts);
  unindexRecords(state, { s, firstLseq, minTs: meta.minTs, maxTs: meta.maxTs, n: ts.length, runs: runsOf(s.sid, ts) }, w.ops, w.reindexed);
  if (keep.length > 0) {
    const kept: IndexedChunk = { s, firstLseq, minTs: c.minTs, maxTs: c.maxTs, n: keep.length, runs: runsOf(s.sid, keep.map((o) => records[o].ts)) };
    indexChunk(state, kept, w.ops);
    state.volume.countLive(kept.runs, 1);
    w.reindexed.push([kept, true]);
  }
  w.result.deleted += removed;
  s.n -= removed;
  s.bytes += c.value.length - meta.valueBytes;
}
