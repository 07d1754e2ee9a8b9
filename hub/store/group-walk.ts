/**
 * The group-ordered plan for queries over many streams: walk `groups` in id order and, inside each
 * group, merge its candidate chunks lazily with a heap. A chunk enters the heap keyed by a bound
 * from its meta (its last lseq for desc, a lower bound of its first for asc) and is read and
 * parsed only when that bound reaches the top — so "newest 100" of a group of 16k records in 400
 * chunks reads the ~100 chunks that hold them, not all 400. For `q`, the group's `gtri` bitmap
 * rules out most groups and its `ctri` directory names the chunks whose bitmaps admit the needle.
 */
import type { WireRecord } from '../protocol/frames.js';
import type { Bounds } from './bounds.js';
import type { ChunkMeta } from './chunk.js';
import { decodeMeta } from './chunk.js';
import type { Batch, Matcher } from './chunk-read.js';
import { chunkCanMatch, loadChunk } from './chunk-read.js';
import { decodeGroupValue, groupLastOffset } from './group.js';
import { chunkCandidates, groupMayContain } from './group-text.js';
import { MAX_U48, chunkKey, groupKey, parseGroupKey } from './keys.js';
import type { StoreState } from './state.js';
import { StoreCorruptError } from './store-error.js';
import type { Candidates, Stream } from './streams.js';

/** A chunk in the heap: `key` is a bound until `batch` is loaded, then the next lseq to emit. */
interface Entry {
  key: number;
  s: Stream;
  meta: ChunkMeta;
  batch?: Batch;
  i: number;
}

/** Matching records of the candidate streams, group by group, in query order. */
export function* walkGroups(state: StoreState, cands: Candidates, b: Bounds, m: Matcher, desc: boolean): Generator<WireRecord | null> {
  const { groups, gtri, ctri, cmeta } = state.dbs;
  const start = desc ? groupKey(b.hiRts, MAX_U48) : groupKey(b.loRts, 0);
  for (const { key, value } of groups.getRange({ start, reverse: desc })) {
    const gk = parseGroupKey(key);
    if (!gk) continue;
    const lastOffset = groupLastOffset(value);
    if (lastOffset < 0) throw new StoreCorruptError('group entry has a bad header');
    const first = gk.firstLseq;
    const last = first + lastOffset;
    if (desc ? last < b.lo || gk.rts < b.loRts : first >= b.hi || gk.rts > b.hiRts) return;
    yield null; // a chance for async callers to give the event loop a turn
    if (desc ? first >= b.hi : last < b.lo) continue;
    let sids: readonly number[] | undefined;
    if (m.hashes) {
      // getBinaryFast: a reused buffer, valid until the next read; used right away.
      const g = gtri.getBinaryFast(key);
      if (g && !groupMayContain(g, m.hashes)) continue;
      const c = ctri.getBinaryFast(key);
      if (c) sids = chunkCandidates(c, m.hashes, (sid) => cands.get(sid) !== undefined);
    }
    sids ??= decodeGroupValue(value).streamIds;
    const heap: Entry[] = [];
    for (const sid of sids) {
      const s = cands.get(sid);
      if (!s) continue;
      const mv = cmeta.getBinaryFast(chunkKey(sid, first));
      if (!mv) continue;
      const meta = decodeMeta(mv);
      if (!chunkCanMatch(meta, m)) continue;
      heap.push({ key: first + (desc ? meta.lastOffset : meta.firstOffsetBound), s, meta, i: 0 });
    }
    yield* drain(state, heap, first, b, m, desc);
  }
}

function* drain(state: StoreState, heap: Entry[], first: number, b: Bounds, m: Matcher, desc: boolean): Generator<WireRecord | null> {
  const before = desc ? (x: number, y: number) => x > y : (x: number, y: number) => x < y;
  heapify(heap, before);
  while (heap.length > 0) {
    const top = heap[0];
    if (!top.batch) {
      const batch = loadChunk(state, top.s, first, top.meta, b, m, desc);
      yield null;
      if (!batch) {
        pop(heap, before);
        continue;
      }
      top.batch = batch;
      top.key = batch.lseqs[0];
      siftDown(heap, 0, before);
      continue;
    }
    yield top.batch.make(top.i);
    if (++top.i < top.batch.lseqs.length) {
      top.key = top.batch.lseqs[top.i];
      siftDown(heap, 0, before);
    } else {
      pop(heap, before);
    }
  }
}

type Before = (x: number, y: number) => boolean;

function heapify(h: Entry[], before: Before): void {
  for (let i = (h.length >> 1) - 1; i >= 0; i--) siftDown(h, i, before);
}

function pop(h: Entry[], before: Before): void {
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    siftDown(h, 0, before);
  }
}

function siftDown(h: Entry[], i: number, before: Before): void {
  const n = h.length;
  const e = h[i];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && before(h[c + 1].key, h[c].key)) c++;
    if (!before(h[c].key, e.key)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = e;
}
