/**
 * Builds one commit group: the records of every append coalesced into one write transaction get
 * consecutive lseqs and a shared rts, are split by stream into chunks (chunk.ts), and described by
 * one `groups` entry plus one group trigram bitmap in `gtri`. Building is pure preparation (all
 * encoding happens here, before the LMDB batch), so a failure never leaves half a group queued.
 *
 * `groups` value, format 1: [u8 format=1][u32 lastOffset][u32 k][k × u32 streamId], little-endian.
 * `gtri` / `ctri` values, same key: the group's trigram bitmap / its chunks' bitmaps (group-text.ts),
 * written only for groups of two or more chunks (readers treat a missing one as "may match").
 */
import type { WireRecord } from '../protocol/frames.js';
import type { ValidRecord } from '../protocol/record.js';
import { encodeChunk } from './chunk.js';
import type { IndexedChunk } from './event-index.js';
import { indexChunk, revertChunk } from './event-index.js';
import type { ChunkSketch } from './group-text.js';
import { encodeGroupText } from './group-text.js';
import { idFromPrefix, idPrefix } from '../protocol/ids.js';
import { chunkKey, groupKey } from './keys.js';
import type { Op, StoreState } from './state.js';
import { StoreCorruptError } from './store-error.js';
import type { Stream } from './streams.js';
import { GROUP_MAX_BITS_LOG2, bitsLog2For, newSketch } from './trigram.js';
import { wireRecord } from './wire-record.js';

/** An append waiting for its group. */
export interface PendingAppend {
  records: ValidRecord[];
  origin?: { shipper: string; seq: number };
  /** Filled by buildGroup: the stored records with ids. */
  out?: WireRecord[];
}

/** A prepared commit group: its LMDB ops and how to revert its in-memory effects. */
export interface BuiltGroup {
  ops: Op[];
  touched: Set<Stream>;
  lastId: string | undefined;
  /** Reverts the in-memory counter changes when the commit fails. */
  undo(): void;
}

/** Assigns lseqs/rts/ids to the queued appends and encodes their chunks; mutates counters. */
export function buildGroup(state: StoreState, items: PendingAppend[]): BuiltGroup {
  const undoers: Array<() => void> = [];
  try {
    return build(state, items, undoers);
  } catch (err) {
    for (const u of undoers) u();
    state.streams.version++;
    throw err;
  }
}

function build(state: StoreState, items: PendingAppend[], undoers: Array<() => void>): BuiltGroup {
  const ops: Op[] = [];
  const touched = new Set<Stream>();
  const flat: ValidRecord[] = [];
  for (const it of items) for (const r of it.records) flat.push(r);
  let lastId: string | undefined;

  if (flat.length > 0) {
    const rts = Math.max(Date.now(), state.lastRts);
    const first = state.nextLseq;
    const prefix = idPrefix(rts, state.tag);
    const perStream = new Map<Stream, number[]>();
    let textChars = 0;
    let i = 0;
    for (const it of items) {
      const out: WireRecord[] = new Array(it.records.length);
      for (let j = 0; j < it.records.length; j++, i++) {
        const r = it.records[j];
        const s = state.streams.getOrCreate(r.service, r.severity, r.host, r.file);
        let pos = perStream.get(s);
        if (!pos) perStream.set(s, (pos = []));
        pos.push(i);
        textChars += r.message.length;
        out[j] = wireRecord(idFromPrefix(prefix, first + i), rts, r, r);
      }
      it.out = out;
    }
    const groupSketch = newSketch(bitsLog2For(textChars, GROUP_MAX_BITS_LOG2));
    const sids: number[] = [];
    const sketches: ChunkSketch[] = [];
    for (const [s, pos] of perStream) {
      const c = encodeChunk(flat, pos, rts, groupSketch);
      const key = chunkKey(s.sid, first);
      ops.push({ db: state.dbs.chunks, key, value: c.value }, { db: state.dbs.cmeta, key, value: c.meta });
      const before = { n: s.n, lastTs: s.lastTs, bytes: s.bytes, span: s.span };
      undoers.push(() => Object.assign(s, before));
      const indexed: IndexedChunk = { s, firstLseq: first, ts: pos.map((p) => flat[p].ts), minTs: c.minTs, maxTs: c.maxTs };
      indexChunk(state, indexed, ops);
      undoers.push(() => revertChunk(state, indexed, true));
      s.n += c.n;
      s.bytes += c.value.length;
      if (c.maxTs > s.lastTs) s.lastTs = c.maxTs;
      touched.add(s);
      sids.push(s.sid);
      sketches.push({ streamId: s.sid, sketch: c.sketch });
    }
    state.volume.takeDirty(state.dbs, ops);
    state.streams.version++;
    const gk = groupKey(rts, first);
    ops.push({ db: state.dbs.groups, key: gk, value: encodeGroupValue(flat.length - 1, sids) });
    // A one-chunk group (a quiet hub) needs no group-level text index: its chunk meta has the bitmap.
    if (sketches.length > 1) {
      const text = encodeGroupText(groupSketch, sketches);
      ops.push({ db: state.dbs.gtri, key: gk, value: text.gtri }, { db: state.dbs.ctri, key: gk, value: text.ctri });
    }
    state.nextLseq = first + flat.length;
    state.lastRts = rts;
    lastId = idFromPrefix(prefix, first + flat.length - 1);
  }
  for (const it of items) {
    if (it.origin) ops.push({ db: state.dbs.shippers, key: it.origin.shipper, value: it.origin.seq });
    it.out ??= [];
  }
  ops.push({ db: state.dbs.meta, key: 'clock', value: { lseq: state.nextLseq, rts: state.lastRts } });
  return {
    ops,
    touched,
    lastId,
    undo() {
      for (const u of undoers) u();
      state.streams.version++;
    },
  };
}

/** A decoded `groups` value. */
export interface GroupValue {
  lastOffset: number;
  streamIds: number[];
}

/** Encodes a `groups` value. */
export function encodeGroupValue(lastOffset: number, streamIds: number[]): Buffer {
  const b = Buffer.allocUnsafe(9 + streamIds.length * 4);
  b[0] = 1;
  b.writeUInt32LE(lastOffset, 1);
  b.writeUInt32LE(streamIds.length, 5);
  for (let i = 0; i < streamIds.length; i++) b.writeUInt32LE(streamIds[i], 9 + i * 4);
  return b;
}

/** Just the last offset of a `groups` value (no allocation); -1 when malformed. */
export function groupLastOffset(v: Uint8Array): number {
  if (v.length < 9 || v[0] !== 1) return -1;
  return (v[1] | (v[2] << 8) | (v[3] << 16) | (v[4] << 24)) >>> 0;
}

/** Decodes a `groups` value; throws StoreCorruptError when malformed. */
export function decodeGroupValue(v: Uint8Array): GroupValue {
  const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
  if (b.length < 9 || b[0] !== 1 || b.length !== 9 + b.readUInt32LE(5) * 4) throw new StoreCorruptError('group entry has a bad header or size');
  const k = b.readUInt32LE(5);
  const streamIds = new Array<number>(k);
  for (let i = 0; i < k; i++) streamIds[i] = b.readUInt32LE(9 + i * 4);
  return { lastOffset: b.readUInt32LE(1), streamIds };
}
