/**
 * Query execution: a lazy generator over matching records in id (= lseq) order, asc or desc.
 *
 * Plan: the filter's labels pick candidate streams in memory. With few candidates (≤ 16) each
 * stream's chunks are read in key order from `cmeta` and k-way merged by lseq (here); with many,
 * `groups` are walked in order and each group's chunks merged lazily (group-walk.ts). Either way a
 * chunk is read only if its meta (event-time range, trigram bitmap) says it can match, its whole
 * text is prefiltered before any record is parsed, and only records that are yielded become
 * objects (chunk-read.ts). Records not yet indexed are read from the log tail (log-tail.ts).
 * Abandoning the generator costs nothing beyond the chunk in hand. */
import type { WireRecord } from '../protocol/frames.js';
import type { RecordFilter } from '../filter/filter.js';
import type { Bounds } from './bounds.js';
import { InvalidCursorError, computeBounds } from './bounds.js';
import { isValidId } from '../protocol/ids.js';
import { timeOrdered } from './time-query.js';
import { decodeMeta } from './chunk.js';
import type { Batch, Matcher } from './chunk-read.js';
import { chunkCanMatch, loadChunk, matcher } from './chunk-read.js';
import { walkGroups } from './group-walk.js';
import { chunkKey, parseChunkKey } from './keys.js';
import { scanTail } from './log-tail.js';
import type { StoreState } from './state.js';
import type { Stream } from './streams.js';
import type { QueryOptions } from './types.js';

/** Above this many candidate streams, walk groups instead of merging per-stream cursors. */
export const MERGE_MAX_STREAMS = 16;

/**
 * Store.query: matching records lazily, up to `limit`, in id order (`by` receive) or event-time
 * order (`by` event, time-query.ts). With `ticks`, `null` is yielded between chunks.
 */
export function* runQuery(state: StoreState, f: RecordFilter, opts: QueryOptions): Generator<WireRecord | null, void, undefined> {
  const limit = opts.limit ?? Infinity;
  const desc = opts.order === 'desc';
  const byEvent = opts.by === 'event';
  // By event time the cursor is (ts, id), settled in time-query.ts; by id it bounds lseqs here.
  const b = computeBounds(state, f, byEvent ? undefined : opts.after, desc);
  if (byEvent && opts.after !== undefined && (!isValidId(opts.after) || typeof opts.afterTs !== 'number')) throw new InvalidCursorError(opts.after);
  if (!(limit > 0) || b.lo >= b.hi || b.loRts > b.hiRts) return;
  const cands = state.streams.candidateSet(f);
  if (cands.list.length === 0) return;
  const m = matcher(f);
  // Below `indexed` records are in chunks; above, in the log tail (log-tail.ts). Both taken now.
  const indexedLseq = state.indexed;
  const tail = state.tail.slice();
  const fromChunks = (lo: number, hi: number, order = desc): Iterable<WireRecord | null> => {
    const bb = { ...b, lo, hi };
    if (lo >= hi) return [];
    return cands.list.length <= MERGE_MAX_STREAMS ? mergeStreams(state, cands.list, bb, m, order) : walkGroups(state, cands, bb, m, order);
  };
  const tailBounds = { ...b, lo: Math.max(b.lo, indexedLseq) };
  let src: Iterable<WireRecord | null>;
  if (byEvent) {
    // The tail (normally a few groups) is read whole and merged in by time with the indexed part.
    const cursor = opts.after !== undefined ? { id: opts.after, ts: opts.afterTs! } : undefined;
    const unindexed = scanTail(state, tail, cands, tailBounds, m, false, (lo, hi) => fromChunks(lo, hi, false));
    src = timeOrdered(state, f, cands, { ...b, hi: Math.min(b.hi, indexedLseq) }, m, desc, cursor, unindexed);
  } else {
    const older = fromChunks(b.lo, Math.min(b.hi, indexedLseq));
    const newer = scanTail(state, tail, cands, tailBounds, m, desc, fromChunks);
    src = desc ? chain(newer, older) : chain(older, newer);
  }
  const ticks = opts.ticks === true;
  let n = 0;
  for (const r of src) {
    if (r === null) {
      if (ticks) yield null;
      continue;
    }
    yield r;
    if (++n >= limit) return;
  }
}

function* chain<T>(a: Iterable<T>, b: Iterable<T>): Generator<T> {
  yield* a;
  yield* b;
}

/** One stream's matching chunks in order; `null` after each chunk looked at. */
function* streamBatches(state: StoreState, s: Stream, b: Bounds, m: Matcher, desc: boolean): Generator<Batch | null> {
  const { cmeta } = state.dbs;
  let start: Buffer;
  if (desc) {
    start = chunkKey(s.sid, Math.min(b.hi, 2 ** 48 - 1));
  } else {
    start = chunkKey(s.sid, b.lo);
    // The chunk holding `lo` may start before it.
    for (const { key } of cmeta.getRange({ start, reverse: true, limit: 1 })) {
      const k = parseChunkKey(key);
      if (k && k.streamId === s.sid) start = chunkKey(s.sid, k.firstLseq);
    }
  }
  for (const { key, value } of cmeta.getRange({ start, reverse: desc })) {
    const k = parseChunkKey(key);
    if (!k || k.streamId !== s.sid) return;
    const meta = decodeMeta(value);
    const last = k.firstLseq + meta.lastOffset;
    if (desc ? last < b.lo : k.firstLseq >= b.hi) return;
    yield null;
    if (desc ? k.firstLseq >= b.hi : last < b.lo) continue;
    if (meta.rts < b.loRts || meta.rts > b.hiRts || !chunkCanMatch(meta, m)) continue;
    const batch = loadChunk(state, s, k.firstLseq, meta, b, m, desc);
    if (batch) yield batch;
  }
}

/** The generator's next batch, passing its ticks up; undefined when it is done. */
function* nextBatch(gen: Generator<Batch | null>): Generator<null, Batch | undefined> {
  for (;;) {
    const r = gen.next();
    if (r.done) return undefined;
    if (r.value !== null) return r.value;
    yield null;
  }
}

/** k-way merge of per-stream batches by lseq. */
function* mergeStreams(state: StoreState, cands: Stream[], b: Bounds, m: Matcher, desc: boolean): Generator<WireRecord | null> {
  interface Head { gen: Generator<Batch | null>; batch: Batch; i: number }
  const heads: Head[] = [];
  for (const s of cands) {
    const gen = streamBatches(state, s, b, m, desc);
    const first = yield* nextBatch(gen);
    if (first) heads.push({ gen, batch: first, i: 0 });
  }
  while (heads.length > 0) {
    let best = 0;
    let bestLseq = heads[0].batch.lseqs[heads[0].i];
    for (let h = 1; h < heads.length; h++) {
      const l = heads[h].batch.lseqs[heads[h].i];
      if (desc ? l > bestLseq : l < bestLseq) {
        best = h;
        bestLseq = l;
      }
    }
    const head = heads[best];
    yield head.batch.make(head.i);
    if (++head.i >= head.batch.lseqs.length) {
      const nx = yield* nextBatch(head.gen);
      if (!nx) heads.splice(best, 1);
      else {
        head.batch = nx;
        head.i = 0;
      }
    }
  }
}
