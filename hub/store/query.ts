/**
 * Query execution: a lazy generator over matching records in id (= lseq) order, asc or desc.
 *
 * Plan: the filter's labels pick candidate streams in memory. With few candidates (≤ 16) each
 * stream's chunks are read in key order from `cmeta` and k-way merged by lseq; with many, the
 * `groups` db is walked in order and each group's candidate chunks are fetched by key (one ordered
 * pass instead of a wide merge); for `q` the group's `gtri` bitmap rules out most groups and its
 * `ctri` directory names the chunks whose bitmaps admit the needle (group-text.ts). Either way a
 * chunk is read only if its meta (event-time range, trigram bitmap) says it can match, its whole
 * text is prefiltered before any record is parsed (prefilter.ts), and only records that are
 * yielded become objects. Abandoning the generator costs nothing beyond the chunk in hand. */
import type { WireRecord } from '../protocol/frames.js';
import type { RecordFilter } from '../query/filter.js';
import type { Bounds } from './bounds.js';
import { computeBounds } from './bounds.js';
import type { ChunkEntry, ChunkMeta } from './chunk.js';
import { META_HEADER_BYTES, decodeMeta, parseChunk } from './chunk.js';
import { decodeGroupValue, groupLastOffset } from './group.js';
import { chunkCandidates, groupMayContain } from './group-text.js';
import { idFromPrefix, idPrefix } from './ids.js';
import { MAX_U48, chunkKey, groupKey, parseChunkKey, parseGroupKey } from './keys.js';
import type { StoreState } from './state.js';
import { StoreCorruptError } from './store-error.js';
import type { Stream } from './streams.js';
import { chunkTextTest } from './prefilter.js';
import { mayContain, needleHashes } from './trigram.js';
import type { QueryOptions } from './types.js';

/** Above this many candidate streams, walk groups instead of merging per-stream cursors. */
export const MERGE_MAX_STREAMS = 16;

/** What a chunk must satisfy, precomputed once per query. */
interface Matcher {
  from?: number;
  to?: number;
  hashes?: Int32Array;
  /** Whole-chunk prefilter (prefilter.ts). */
  chunkText?: (value: Buffer) => boolean;
  /** Message test (q, regex); absent when the filter has none. */
  text?: (message: string) => boolean;
}

/** The records of one chunk that match, in query order: their lseqs, and objects built on demand. */
interface Batch {
  lseqs: number[];
  make(i: number): WireRecord;
}

export function* runQuery(state: StoreState, f: RecordFilter, opts: QueryOptions): Generator<WireRecord, void, undefined> {
  const limit = opts.limit ?? Infinity;
  const desc = opts.order === 'desc';
  const b = computeBounds(state, f, opts.after, desc); // validates the cursor even when nothing matches
  if (!(limit > 0) || b.lo >= b.hi || b.loRts > b.hiRts) return;
  const cands = state.streams.candidates(f);
  if (cands.length === 0) return;
  const m = matcher(f);
  const src = cands.length <= MERGE_MAX_STREAMS ? mergeStreams(state, cands, b, m, desc) : walkGroups(state, cands, b, m, desc);
  let n = 0;
  for (const r of src) {
    yield r;
    if (++n >= limit) return;
  }
}

function matcher(f: RecordFilter): Matcher {
  const m: Matcher = { from: f.from, to: f.to };
  const q = f.qRegex;
  const re = f.regex;
  if (q) {
    // Prune with the lower-cased needle only when the regex provably means "contains it".
    if (f.q !== undefined && q.test(f.q)) m.hashes = needleHashes(f.q);
  }
  m.chunkText = chunkTextTest(f);
  if (q || re) m.text = (msg) => (!q || q.test(msg)) && (!re || re.test(msg));
  return m;
}

function chunkCanMatch(meta: ChunkMeta, m: Matcher): boolean {
  if (meta.n === 0) return false;
  if (m.from !== undefined && meta.maxTs < m.from) return false;
  if (m.to !== undefined && meta.minTs > m.to) return false;
  if (m.hashes && !mayContain(meta.buf, META_HEADER_BYTES, meta.log2, m.hashes)) return false;
  return true;
}

/** Finds the matching records of one chunk within bounds, in query order. */
function loadChunk(state: StoreState, s: Stream, first: number, meta: ChunkMeta, b: Bounds, m: Matcher, desc: boolean): Batch | undefined {
  let fast: Buffer | undefined;
  try {
    // A reused buffer (valid until the next read): prefilter it, copy only chunks that pass.
    fast = state.dbs.chunks.getBinaryFast(chunkKey(s.sid, first));
  } catch (err) {
    throw new StoreCorruptError(`chunk ${s.sid}/${first} cannot be read (${(err as Error).message})`, { cause: err });
  }
  if (fast === undefined) return undefined; // deleted since the meta was read
  const view = Buffer.from(fast.buffer, fast.byteOffset, fast.length);
  if (m.chunkText && !m.chunkText(view)) return undefined;
  const v = parseChunk(Buffer.from(view));
  const lseqs: number[] = [];
  const idx: number[] = [];
  const msgs: string[] | undefined = m.text ? [] : undefined;
  const { from, to, text } = m;
  for (let k = 0; k < v.n; k++) {
    const i = desc ? v.n - 1 - k : k;
    const lseq = first + v.offsets[i];
    if (lseq < b.lo || lseq >= b.hi) continue;
    const ts = v.ts[i];
    if ((from !== undefined && ts < from) || (to !== undefined && ts > to)) continue;
    if (text) {
      const msg = v.message(i);
      if (!text(msg)) continue;
      msgs!.push(msg);
    }
    lseqs.push(lseq);
    idx.push(i);
  }
  if (lseqs.length === 0) return undefined;
  const prefix = idPrefix(meta.rts, state.tag);
  return { lseqs, make: (k) => toRecord(s, idFromPrefix(prefix, lseqs[k]), meta.rts, v.entry(idx[k], msgs?.[k])) };
}

function toRecord(s: Stream, id: string, rts: number, e: ChunkEntry): WireRecord {
  const r: WireRecord = { id, ts: e.ts, rts, service: s.service, severity: s.severity, message: e.message };
  if (s.host !== undefined) r.host = s.host;
  if (s.file !== undefined) r.file = s.file;
  if (e.fields !== undefined) r.fields = e.fields;
  if (e.truncated) r.truncated = true;
  return r;
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

/** Walks groups in order, fetching each group's candidate chunks by key. */
function* walkGroups(state: StoreState, cands: Stream[], b: Bounds, m: Matcher, desc: boolean): Generator<WireRecord> {
  const { groups, gtri, ctri, cmeta } = state.dbs;
  const want = new Map<number, Stream>();
  for (const s of cands) want.set(s.sid, s);
  const start = desc ? groupKey(b.hiRts, MAX_U48) : groupKey(b.loRts, 0);
  for (const { key, value } of groups.getRange({ start, reverse: desc })) {
    const gk = parseGroupKey(key);
    if (!gk) continue;
    const lastOffset = groupLastOffset(value);
    if (lastOffset < 0) throw new StoreCorruptError('group entry has a bad header');
    const first = gk.firstLseq;
    const last = first + lastOffset;
    if (desc ? last < b.lo || gk.rts < b.loRts : first >= b.hi || gk.rts > b.hiRts) return;
    if (desc ? first >= b.hi : last < b.lo) continue;
    let sids: readonly number[] | undefined;
    if (m.hashes) {
      // getBinaryFast: a reused buffer, valid until the next read; used right away.
      const g = gtri.getBinaryFast(key);
      if (g && !groupMayContain(g, m.hashes)) continue;
      const c = ctri.getBinaryFast(key);
      if (c) sids = chunkCandidates(c, m.hashes, (sid) => want.has(sid));
    }
    sids ??= decodeGroupValue(value).streamIds;
    const batches: Batch[] = [];
    for (const sid of sids) {
      const s = want.get(sid);
      if (!s) continue;
      const ck = chunkKey(sid, first);
      const mv = cmeta.getBinaryFast(ck);
      if (!mv) continue;
      const meta = decodeMeta(mv);
      if (!chunkCanMatch(meta, m)) continue;
      const batch = loadChunk(state, s, first, meta, b, m, desc);
      if (batch) batches.push(batch);
    }
    if (batches.length === 1) {
      const bt = batches[0];
      for (let i = 0; i < bt.lseqs.length; i++) yield bt.make(i);
    } else if (batches.length > 1) {
      const order: Array<[number, number, number]> = [];
      batches.forEach((bt, j) => bt.lseqs.forEach((l, i) => order.push([l, j, i])));
      order.sort(desc ? (x, y) => y[0] - x[0] : (x, y) => x[0] - y[0]);
      for (const [, j, i] of order) yield batches[j].make(i);
    }
  }
}
