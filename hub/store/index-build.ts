/**
 * Indexing one commit group: its log value (log.ts) becomes per-stream chunks (chunk.ts), one
 * `groups` entry and, for groups of two or more chunks, the group text indexes (group-text.ts).
 *
 * Two halves, so the expensive one runs off the event loop:
 * - `buildIndexGroup` (pure, runs in the indexer worker): parses the log value, splits it by
 *   stream, encodes the chunks and trigram bitmaps. Returns plain data (buffers and numbers).
 * - `indexOps` (main thread, inside the writer's transaction): THE place that turns a built group
 *   into LMDB ops. Everything written when a group is indexed is listed here, in one transaction
 *   with the indexed cursor (meta "indexed") and the removal of the log value — so a group is
 *   indexed exactly once, even across kill -9: chunks, group entry, text indexes, and each
 *   chunk's event-time index entries and stored minute counts (event-index.ts). Add further
 *   per-group indexes here.
 *
 * `groups` value, format 1: [u8 format=1][u32 lastOffset][u32 k][k × u32 streamId], little-endian.
 */
import { encodeChunkFromLog } from './chunk.js';
import type { IndexedChunk } from './event-index.js';
import { indexChunk, revertChunk } from './event-index.js';
import type { ChunkSketch } from './group-text.js';
import { encodeGroupText } from './group-text.js';
import { encodeGroupValue } from './group.js';
import { chunkKey, groupKey } from './keys.js';
import { LogView, logKey } from './log.js';
import type { Op, StoreState } from './state.js';
import type { Stream } from './streams.js';
import { GROUP_MAX_BITS_LOG2, bitsLog2For, newSketch } from './trigram.js';
import { MinuteRuns } from './volume.js';

/** One stream's chunk of a group, ready to store. */
export interface BuiltChunk {
  sid: number;
  value: Uint8Array;
  meta: Uint8Array;
  n: number;
  minTs: number;
  maxTs: number;
  /** Minute runs of its event times, for the volume index (volume.ts). */
  runs: number[];
}

/** A group built from its log value (what the worker posts back). */
export interface IndexedGroup {
  first: number;
  rts: number;
  n: number;
  chunks: BuiltChunk[];
  group: Uint8Array;
  gtri?: Uint8Array;
  ctri?: Uint8Array;
}

/** Builds the chunks and indexes of the group whose log value is `logValue`. */
export function buildIndexGroup(first: number, logValue: Uint8Array): IndexedGroup {
  const buf = Buffer.isBuffer(logValue) ? logValue : Buffer.from(logValue.buffer, logValue.byteOffset, logValue.length);
  const view = new LogView(buf);
  const perStream = new Map<number, number[]>();
  let lastSid = -1;
  let last: number[] = [];
  for (let i = 0; i < view.n; i++) {
    const sid = view.sids[i];
    if (sid !== lastSid) {
      let pos = perStream.get(sid);
      if (!pos) perStream.set(sid, (pos = []));
      last = pos;
      lastSid = sid;
    }
    last.push(i);
  }
  const groupSketch = newSketch(bitsLog2For(buf.length, GROUP_MAX_BITS_LOG2));
  const chunks: BuiltChunk[] = [];
  const sketches: ChunkSketch[] = [];
  for (const [sid, pos] of perStream) {
    // Offsets within the group equal log positions: the log holds the group in lseq order.
    const c = encodeChunkFromLog(view, pos, pos, groupSketch);
    const runs = new MinuteRuns();
    for (const i of pos) runs.add(sid, view.ts[i]);
    chunks.push({ sid, value: c.value, meta: c.meta, n: c.n, minTs: c.minTs, maxTs: c.maxTs, runs: runs.flush() });
    sketches.push({ streamId: sid, sketch: c.sketch });
  }
  const out: IndexedGroup = { first, rts: view.rts, n: view.n, chunks, group: encodeGroupValue(view.n - 1, [...perStream.keys()]) };
  // A one-chunk group (a quiet hub) needs no group-level text index: its chunk meta has the bitmap.
  if (sketches.length > 1) {
    const text = encodeGroupText(groupSketch, sketches);
    out.gtri = text.gtri;
    out.ctri = text.ctri;
  }
  return out;
}

const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.length));

/** The ops that store an indexed group, advance the cursor and drop its log value; bumps counters. */
export function indexOps(state: StoreState, g: IndexedGroup): { ops: Op[]; touched: Stream[]; undo(): void } {
  const { dbs } = state;
  const ops: Op[] = [];
  const touched: Stream[] = [];
  const undoers: Array<() => void> = [];
  for (const c of g.chunks) {
    const key = chunkKey(c.sid, g.first);
    ops.push({ db: dbs.chunks, key, value: asBuffer(c.value) }, { db: dbs.cmeta, key, value: asBuffer(c.meta) });
    const s = state.streams.byId[c.sid];
    if (!s) continue; // unreachable: the log txn defined every stream it references
    const { bytes, span } = s;
    undoers.push(() => Object.assign(s, { bytes, span }));
    s.bytes += c.value.length;
    const ev: IndexedChunk = { s, firstLseq: g.first, minTs: c.minTs, maxTs: c.maxTs, n: c.n, runs: c.runs };
    indexChunk(state, ev, ops);
    undoers.push(() => revertChunk(state, ev, true));
    touched.push(s);
  }
  state.volume.takeDirty(dbs, ops);
  const gk = groupKey(g.rts, g.first);
  ops.push({ db: dbs.groups, key: gk, value: asBuffer(g.group) });
  if (g.gtri && g.ctri) ops.push({ db: dbs.gtri, key: gk, value: asBuffer(g.gtri) }, { db: dbs.ctri, key: gk, value: asBuffer(g.ctri) });
  ops.push({ db: dbs.meta, key: 'indexed', value: g.first + g.n }, { db: dbs.log, key: logKey(g.first) });
  return {
    ops,
    touched,
    undo() {
      for (const u of undoers) u();
    },
  };
}
