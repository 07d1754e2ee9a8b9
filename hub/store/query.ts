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
import { computeBounds } from './bounds.js';
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

/** Store.query: matching records in id order, lazily, up to `limit`. */
export function* runQuery(state: StoreState, f: RecordFilter, opts: QueryOptions): Generator<WireRecord, void, undefined> {
  const limit = opts.limit ?? Infinity;
  const desc = opts.order === 'desc';
  const b = computeBounds(state, f, opts.after, desc); // validates the cursor even when nothing matches
  if (!(limit > 0) || b.lo >= b.hi || b.loRts > b.hiRts) return;
  const cands = state.streams.candidates(f);
  if (cands.length === 0) return;
  const m = matcher(f);
  // Below `indexed` records are in chunks; above, in the log tail (log-tail.ts). Both taken now.
  const indexedLseq = state.indexed;
  const tail = state.tail.slice();
  const fromChunks = (lo: number, hi: number): Iterable<WireRecord> => {
    const bb = { ...b, lo, hi };
    if (lo >= hi) return [];
    return cands.length <= MERGE_MAX_STREAMS ? mergeStreams(state, cands, bb, m, desc) : walkGroups(state, cands, bb, m, desc);
  };
  const older = fromChunks(b.lo, Math.min(b.hi, indexedLseq));
  const newer = scanTail(state, tail, cands, { ...b, lo: Math.max(b.lo, indexedLseq) }, m, desc, fromChunks);
  const src = desc ? chain(newer, older) : chain(older, newer);
  let n = 0;
  for (const r of src) {
    yield r;
    if (++n >= limit) return;
  }
}

function* chain<T>(a: Iterable<T>, b: Iterable<T>): Generator<T> {
  yield* a;
  yield* b;
}

/** One stream's matching chunks in order. */
function* streamBatches(state: StoreState, s: Stream, b: Bounds, m: Matcher, desc: boolean): Generator<Batch> {
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
    if (desc ? k.firstLseq >= b.hi : last < b.lo) continue;
    if (meta.rts < b.loRts || meta.rts > b.hiRts || !chunkCanMatch(meta, m)) continue;
    const batch = loadChunk(state, s, k.firstLseq, meta, b, m, desc);
    if (batch) yield batch;
  }
}

/** k-way merge of per-stream batches by lseq. */
function* mergeStreams(state: StoreState, cands: Stream[], b: Bounds, m: Matcher, desc: boolean): Generator<WireRecord> {
  interface Head { gen: Generator<Batch>; batch: Batch; i: number }
  const heads: Head[] = [];
  for (const s of cands) {
    const gen = streamBatches(state, s, b, m, desc);
    const first = gen.next();
    if (!first.done) heads.push({ gen, batch: first.value, i: 0 });
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
      const nx = head.gen.next();
      if (nx.done) heads.splice(best, 1);
      else {
        head.batch = nx.value;
        head.i = 0;
      }
    }
  }
}
