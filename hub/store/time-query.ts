/**
 * Queries in EVENT-time order: matching records by (timestamp, id), newest or oldest first, lazily
 * (docs/http-api.md "Ordering"). Ties in timestamp go by id, which for this hub's records is lseq
 * order, so (ts, lseq) here equals (ts, id) across hubs.
 *
 * Plan: one heap holds three kinds of entries, each keyed by a bound on the event times it can
 * still produce: a candidate stream (not yet read; its bound is its newest time, from memory, or
 * for asc the query's lower bound), a chunk named by the time index (bound: its max/min ts), and
 * a loaded chunk's matching records sorted by (ts, lseq) (key: the next record). Popping a stream
 * reads its next time-index entry (time-index.ts); popping a chunk loads it (chunk-read.ts). At
 * equal keys streams and chunks come before records, so a record is yielded only when nothing
 * unread can precede it. "Newest 100" of one service therefore reads the few newest chunks of its
 * streams, and a stream whose newest record is older than the answer is never opened.
 *
 * Records not yet indexed (the log tail, log-tail.ts) come in as one more sorted batch; the chunk
 * side is bounded below the indexed cursor the query started with, so none is seen twice.
 *
 * With `q`, the group trigram bitmaps first name the chunks that can hold the needle (a rare
 * token: a handful); when they name many, the stream walk runs with per-chunk checks instead.
 * A `null` is yielded after each chunk or index step: async callers use it to give the event loop
 * a turn (local-history.ts); runQuery drops it for synchronous callers.
 */
import type { WireRecord } from '../protocol/frames.js';
import { idFromPrefix, idPrefix, parseId } from '../protocol/ids.js';
import type { RecordFilter } from '../filter/filter.js';
import type { Bounds } from './bounds.js';
import { decodeMeta } from './chunk.js';
import type { Batch, Matcher } from './chunk-read.js';
import { chunkCanMatch, loadChunk } from './chunk-read.js';
import { chunkCandidates, groupMayContain } from './group-text.js';
import { decodeGroupValue, groupLastOffset } from './group.js';
import { Heap } from './heap.js';
import { chunkKey, groupKey, parseGroupKey } from './keys.js';
import type { StoreState } from './state.js';
import type { Candidates, Stream } from './streams.js';
import type { TimeEntry } from './time-index.js';
import { parseTimeEntry, timeSeek } from './time-index.js';
import { MINUTE_MS, minuteOf } from './volume.js';

/** Beyond this many bitmap-named chunks, walk streams in time order instead. */
const TEXT_CANDIDATES_MAX = 2048;

/** Where an event-time listing continues: after the record (ts, id), exclusive. */
export interface TimeCursor {
  ts: number;
  id: string;
}

type Entry =
  | { kind: 0; key: number; s: Stream; it?: Iterator<{ key: Buffer; value: Buffer }> }
  | { kind: 1; key: number; s: Stream; e: TimeEntry }
  | { kind: 2; key: number; lseq: number; batch: Batch; order: number[]; i: number };

/** Matching records in event-time order (see header); `null` marks a chance to yield. */
export function* timeOrdered(state: StoreState, f: RecordFilter, cands: Candidates, b: Bounds, m: Matcher, desc: boolean, cursor: TimeCursor | undefined, unindexed: Iterable<WireRecord | null>): Generator<WireRecord | null> {
  // The cursor narrows the event-time range; the tie at exactly cursor.ts is settled by id below.
  const lo = Math.max(f.from ?? 0, !desc && cursor ? cursor.ts : 0);
  const hi = Math.min(f.to ?? Infinity, desc && cursor ? cursor.ts : Infinity);
  if (lo > hi) return;
  const tm: Matcher = { ...m, from: lo, to: hi };
  const heap = new Heap<Entry>(desc ? firstDesc : firstAsc);
  const named = tm.hashes ? yield* textChunks(state, cands, b, tm) : undefined;
  if (named) {
    for (const e of named) heap.push({ kind: 1, key: desc ? Math.min(e.maxTs, hi) : Math.max(e.minTs, lo), s: state.streams.byId[e.sid]!, e });
  } else {
    const ranged = lo > 0 || hi < Infinity;
    for (const s of cands.list) {
      const key = streamBound(state, s, lo, hi, desc, ranged);
      if (key !== undefined) heap.push({ kind: 0, key, s });
    }
  }
  const tailBatch = yield* recordsBatch(unindexed, lo, hi);
  if (tailBatch) {
    const order = sortBatch(tailBatch, desc, cursor, (i) => tailBatch.ids[i]);
    if (order.length > 0) heap.push({ kind: 2, key: tailBatch.ts[order[0]], lseq: tailBatch.lseqs[order[0]], batch: tailBatch, order, i: 0 });
  }
  const open: Array<Iterator<unknown>> = [];
  try {
    while (heap.size > 0) {
      const top = heap.peek()!;
      if (top.kind === 2) {
        yield top.batch.make(top.order[top.i]);
        if (++top.i < top.order.length) {
          top.key = top.batch.ts[top.order[top.i]];
          top.lseq = top.batch.lseqs[top.order[top.i]];
          heap.updateTop();
        } else heap.pop();
        continue;
      }
      if (top.kind === 0) {
        if (!top.it) {
          top.it = streamIndex(state, top.s, lo, hi, desc);
          open.push(top.it);
        }
        const e = nextEntry(top.it, top.s.sid, lo, hi, desc);
        if (!e) heap.pop();
        else {
          top.key = desc ? Math.min(e.maxTs, hi) : Math.max(e.minTs, lo);
          heap.updateTop();
          heap.push({ kind: 1, key: top.key, s: top.s, e });
        }
        yield null;
        continue;
      }
      heap.pop();
      const batch = readChunk(state, top.s, top.e.firstLseq, b, tm);
      if (batch) {
        const prefix = idPrefix(batch.rts, state.tag);
        const order = sortBatch(batch, desc, cursor, (i) => idFromPrefix(prefix, batch.lseqs[i]));
        if (order.length > 0) heap.push({ kind: 2, key: batch.ts[order[0]], lseq: batch.lseqs[order[0]], batch, order, i: 0 });
      }
      yield null;
    }
  } finally {
    for (const it of open) it.return?.();
  }
}

function firstDesc(a: Entry, b: Entry): boolean {
  if (a.key !== b.key) return a.key > b.key;
  if (a.kind !== 2 || b.kind !== 2) return a.kind !== 2 && b.kind === 2;
  return a.lseq > b.lseq;
}

function firstAsc(a: Entry, b: Entry): boolean {
  if (a.key !== b.key) return a.key < b.key;
  if (a.kind !== 2 || b.kind !== 2) return a.kind !== 2 && b.kind === 2;
  return a.lseq < b.lseq;
}

/**
 * Where a stream enters the heap: a bound on the first event time it can give in [lo, hi], or
 * undefined when it has none there. Without a range: its newest time (desc) or its oldest live
 * minute (asc). With one (from/to, or a cursor): the newest/oldest live minute inside it, from
 * the volume index, so streams with nothing in the range are never opened and the rest are
 * opened in the order they can matter — over many streams, a page reads a few of them.
 */
function streamBound(state: StoreState, s: Stream, lo: number, hi: number, desc: boolean, ranged: boolean): number | undefined {
  if (!ranged) return desc ? s.lastTs : (state.volume.oldestMinute(s.sid) ?? 0) * MINUTE_MS;
  if (desc && s.lastTs < lo) return undefined;
  const m = state.volume.minuteIn(s.sid, minuteOf(lo), minuteOf(Math.min(hi, Number.MAX_SAFE_INTEGER)), desc);
  if (m === undefined) return undefined;
  return desc ? Math.min(hi, s.lastTs, (m + 1) * MINUTE_MS - 1) : Math.max(lo, m * MINUTE_MS);
}

/** A stream's time-index entries from where records in [lo, hi] can start, in query order. */
function streamIndex(state: StoreState, s: Stream, lo: number, hi: number, desc: boolean): Iterator<{ key: Buffer; value: Buffer }> {
  const range = desc
    ? state.dbs.tmax.getRange({ start: timeSeek(s.sid, hi + s.span, true), reverse: true })
    : state.dbs.tmin.getRange({ start: timeSeek(s.sid, lo - s.span, false) });
  return range[Symbol.iterator]() as Iterator<{ key: Buffer; value: Buffer }>;
}

/** The next chunk of the stream that overlaps [lo, hi]; undefined past the end of the range. */
function nextEntry(it: Iterator<{ key: Buffer; value: Buffer }>, sid: number, lo: number, hi: number, desc: boolean): TimeEntry | undefined {
  for (;;) {
    const r = it.next();
    if (r.done) return undefined;
    const e = parseTimeEntry(r.value.key, r.value.value, desc);
    if (!e || e.sid !== sid) return undefined;
    if (desc ? e.maxTs < lo : e.minTs > hi) return undefined;
    if (desc ? e.minTs > hi : e.maxTs < lo) continue;
    return e;
  }
}

/** A chunk's matching records (meta checks first), with the rts its ids are made from. */
function readChunk(state: StoreState, s: Stream, first: number, b: Bounds, m: Matcher): (Batch & { rts: number }) | undefined {
  const mv = state.dbs.cmeta.getBinaryFast(chunkKey(s.sid, first));
  if (!mv) return undefined; // deleted since the index was read
  const meta = decodeMeta(mv); // its bitmap is used before the next read reuses the buffer
  if (first >= b.hi || first + meta.lastOffset < b.lo || meta.rts < b.loRts || meta.rts > b.hiRts) return undefined;
  if (!chunkCanMatch(meta, m)) return undefined;
  const batch = loadChunk(state, s, first, meta, b, m, false);
  return batch && Object.assign(batch, { rts: meta.rts });
}

/** Indices of the batch's records in (ts, lseq) query order, past the cursor. */
function sortBatch(batch: Batch, desc: boolean, cursor: TimeCursor | undefined, idOf: (i: number) => string): number[] {
  const { ts, lseqs } = batch;
  const order: number[] = [];
  for (let i = 0; i < ts.length; i++) {
    if (cursor && ts[i] === cursor.ts) {
      const id = idOf(i);
      if (desc ? id >= cursor.id : id <= cursor.id) continue;
    }
    order.push(i);
  }
  // Chunks are in lseq order and usually already in time order: then only reverse (desc) or keep.
  let sorted = true;
  for (let k = 1; k < order.length && sorted; k++) sorted = ts[order[k - 1]] <= ts[order[k]];
  if (!sorted) order.sort((x, y) => ts[x] - ts[y] || lseqs[x] - lseqs[y]);
  if (desc) order.reverse();
  return order;
}

/** Records not yet indexed (already filtered) within [lo, hi] as one batch; ticks pass through. */
function* recordsBatch(records: Iterable<WireRecord | null>, lo: number, hi: number): Generator<null, (Batch & { ids: string[] }) | undefined> {
  const rows: WireRecord[] = [];
  for (const r of records) {
    if (r === null) yield null;
    else if (r.ts >= lo && r.ts <= hi) rows.push(r);
  }
  if (rows.length === 0) return undefined;
  return {
    lseqs: rows.map((r) => parseId(r.id)?.lseq ?? 0),
    ts: rows.map((r) => r.ts),
    ids: rows.map((r) => r.id),
    make: (i) => rows[i],
  };
}

/**
 * The chunks of `cands` that the group and chunk trigram bitmaps admit for the needle, with their
 * event-time ranges; undefined when there are more than TEXT_CANDIDATES_MAX (walk streams then).
 */
function* textChunks(state: StoreState, cands: Candidates, b: Bounds, m: Matcher): Generator<null, TimeEntry[] | undefined> {
  const { groups, gtri, ctri, cmeta } = state.dbs;
  const out: TimeEntry[] = [];
  for (const { key, value } of groups.getRange({ start: groupKey(b.loRts, 0) })) {
    const gk = parseGroupKey(key);
    if (!gk) continue;
    if (gk.rts > b.hiRts || gk.firstLseq >= b.hi) break;
    yield null;
    if (gk.firstLseq + groupLastOffset(value) < b.lo) continue;
    let sids: readonly number[] | undefined;
    const g = gtri.getBinaryFast(key);
    if (g && !groupMayContain(g, m.hashes!)) continue;
    const c = ctri.getBinaryFast(key);
    if (c) sids = chunkCandidates(c, m.hashes!, (sid) => cands.get(sid) !== undefined);
    sids ??= decodeGroupValue(value).streamIds;
    for (const sid of sids) {
      if (!cands.get(sid)) continue;
      const mv = cmeta.getBinaryFast(chunkKey(sid, gk.firstLseq));
      if (!mv) continue;
      const meta = decodeMeta(mv);
      if (!chunkCanMatch(meta, m)) continue;
      if (out.length >= TEXT_CANDIDATES_MAX) return undefined;
      out.push({ sid, firstLseq: gk.firstLseq, minTs: meta.minTs, maxTs: meta.maxTs, n: meta.n });
    }
  }
  return out;
}
