/**
 * Reading chunks for a query: the per-query matcher (time, trigram, text tests), the meta check
 * that decides whether a chunk is read at all, and `loadChunk`, which prefilters the chunk's whole
 * text (prefilter.ts), parses its structure and selects matching records, building record objects
 * only when the caller asks for one.
 */
import type { WireRecord } from '../protocol/frames.js';
import type { RecordFilter } from '../filter/filter.js';
import type { Bounds } from './bounds.js';
import type { ChunkMeta } from './chunk.js';
import { META_HEADER_BYTES, parseChunk } from './chunk.js';
import { idFromPrefix, idPrefix } from '../protocol/ids.js';
import { chunkKey } from './keys.js';
import { chunkTextTest } from './prefilter.js';
import type { StoreState } from './state.js';
import { StoreCorruptError } from './store-error.js';
import type { Stream } from './streams.js';
import { mayContain, needleHashes } from './trigram.js';
import { wireRecord } from './wire-record.js';

/** What a chunk must satisfy, precomputed once per query. */
export interface Matcher {
  from?: number;
  to?: number;
  hashes?: Int32Array;
  /** Whole-chunk prefilter (prefilter.ts). */
  chunkText?: (value: Buffer) => boolean;
  /** Message test (q, regex); absent when the filter has none. */
  text?: (message: string) => boolean;
}

/** The records of one chunk that match, in query order: their lseqs, and objects built on demand. */
export interface Batch {
  lseqs: number[];
  /** Event times, parallel to `lseqs`. */
  ts: number[];
  make(i: number): WireRecord;
}

/** Precomputes a filter's chunk-level and record-level tests. */
export function matcher(f: RecordFilter): Matcher {
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

/** False when the chunk's meta (time range, trigram bitmap) rules the filter out. */
export function chunkCanMatch(meta: ChunkMeta, m: Matcher): boolean {
  if (meta.n === 0) return false;
  if (m.from !== undefined && meta.maxTs < m.from) return false;
  if (m.to !== undefined && meta.minTs > m.to) return false;
  if (m.hashes && !mayContain(meta.buf, META_HEADER_BYTES, meta.log2, m.hashes)) return false;
  return true;
}

/** Finds the matching records of one chunk within bounds, in query order. */
export function loadChunk(state: StoreState, s: Stream, first: number, meta: ChunkMeta, b: Bounds, m: Matcher, desc: boolean): Batch | undefined {
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
  const tss: number[] = [];
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
    tss.push(ts);
    idx.push(i);
  }
  if (lseqs.length === 0) return undefined;
  const prefix = idPrefix(meta.rts, state.tag);
  return { lseqs, ts: tss, make: (k) => wireRecord(idFromPrefix(prefix, lseqs[k]), meta.rts, s, v.entry(idx[k], msgs?.[k])) };
}

