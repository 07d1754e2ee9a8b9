/**
 * Builds one commit group: the appends coalesced into one write transaction get consecutive lseqs
 * and a shared rts, and their segments (encoded when each append arrived: `prepareAppend`, or
 * straight from a frame's bytes: ingest/fast-batch.ts) are
 * joined into ONE log value (log.ts) — the only per-record work before the ack. Stream counters
 * (what /stats and /hosts read) change here, in memory and in the same transaction, so they are
 * exact the moment the group is acked; chunks and text indexes are built later from the log
 * (index-build.ts). Building is pure preparation, before the LMDB batch, so a failure never leaves
 * half a group queued.
 *
 * `groups` value (written by the indexer), format 1: [u8 format=1][u32 lastOffset][u32 k][k × u32 streamId], LE.
 */
import type { ValidRecord } from '../protocol/record.js';
import { idFromPrefix, idPrefix } from '../protocol/ids.js';
import { AppendedRecords, type LoggedValue } from './appended.js';
import { AppendBuilder } from './append-builder.js';
import type { Segment } from './segment-writer.js';
import type { StreamLimits } from './stream-limits.js';
import { joinLogValue, logKey } from './log.js';
import type { Op, StoreState } from './state.js';
import { StoreCorruptError } from './store-error.js';
import type { Stream, StreamTable } from './streams.js';
import { MinuteRuns } from './volume.js';

/**
 * Looks up (or creates, in memory) each record's stream and encodes the append's segment; a
 * record whose new stream would pass a limit is left out and listed in `refused`.
 */
export function prepareAppend(streams: StreamTable, records: readonly ValidRecord[], limits?: StreamLimits): Segment {
  let chars = 0;
  for (const r of records) chars += r.message.length;
  const b = new AppendBuilder(streams, records.length, chars * 2, limits);
  const refused: number[] = [];
  for (let i = 0; i < records.length; i++) if (!b.addRecord(records[i])) refused.push(i);
  const segment = b.finish();
  if (refused.length > 0) segment.refused = refused;
  return segment;
}

/** An append waiting for its group. */
export interface PendingAppend {
  prepared: Segment;
  origin?: { shipper: string; seq: number };
  /** Filled by buildGroup: the stored records (ids and rts assigned). */
  out?: AppendedRecords;
}

/** A group in the log, not yet indexed: what queries merge from the log (log-tail.ts). */
export interface LogGroup {
  first: number;
  n: number;
  rts: number;
  /** Its log value, from the commit until the indexer takes it (else it reads it from the log). */
  value?: Buffer;
}

/** A prepared commit group: its LMDB ops and how to revert its in-memory effects. */
export interface BuiltGroup {
  ops: Op[];
  touched: Set<Stream>;
  lastId: string | undefined;
  /** The log value written, when the group holds records. */
  log?: LogGroup;
  /** Reverts the in-memory counter changes when the commit fails. */
  undo(): void;
}

/** Assigns lseqs/rts to the queued appends and joins their log value; mutates counters. */
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
  let count = 0;
  for (const it of items) count += it.prepared.n;
  let lastId: string | undefined;
  let log: LogGroup | undefined;

  if (count > 0) {
    const rts = Math.max(Date.now(), state.lastRts);
    const first = state.nextLseq;
    const segments: Buffer[] = [];
    const minutes = new MinuteRuns(); // live volume counts (volume.ts), exact from the ack on
    for (const it of items) {
      if (it.prepared.n > 0) segments.push(it.prepared.bytes);
      countAppend(state, it.prepared, minutes, touched, undoers);
    }
    const runs = minutes.flush();
    state.volume.countLive(runs, 1);
    undoers.push(() => state.volume.countLive(runs, -1));
    state.streams.version++;
    const value = joinLogValue(rts, count, segments);
    ops.push({ db: state.dbs.log, key: logKey(first), value });
    const logged: LoggedValue = { value, first, rts, tag: state.tag, streams: state.streams };
    let offset = 0;
    for (const it of items) {
      it.out = new AppendedRecords(logged, offset, it.prepared.n, it.prepared.refused);
      offset += it.prepared.n;
    }
    state.nextLseq = first + count;
    state.lastRts = rts;
    lastId = idFromPrefix(idPrefix(rts, state.tag), first + count - 1);
    log = { first, n: count, rts, value };
  }
  for (const it of items) {
    if (it.origin) ops.push({ db: state.dbs.shippers, key: it.origin.shipper, value: it.origin.seq });
    it.out ??= it.prepared.refused ? new AppendedRecords(undefined, 0, 0, it.prepared.refused) : AppendedRecords.none;
  }
  ops.push({ db: state.dbs.meta, key: 'clock', value: { lseq: state.nextLseq, rts: state.lastRts } });
  return {
    ops,
    touched,
    lastId,
    log,
    undo() {
      for (const u of undoers) u();
      state.streams.version++;
    },
  };
}

/** Adds one append to its streams' counters (undoably) and to `minutes`. */
function countAppend(state: StoreState, p: Segment, minutes: MinuteRuns, touched: Set<Stream>, undoers: Array<() => void>): void {
  const byId = state.streams.byId;
  let prev: Stream | undefined;
  for (let i = 0; i < p.n; i++) {
    const sid = p.sids[i];
    const s = prev?.sid === sid ? prev : byId[sid];
    if (!s) throw new StoreCorruptError(`stream ${sid} of a queued append vanished`);
    if (s !== prev && !touched.has(s)) {
      const before = { n: s.n, lastTs: s.lastTs };
      undoers.push(() => Object.assign(s, before));
      touched.add(s);
    }
    prev = s;
    s.n++;
    const ts = p.ts[i];
    if (ts > s.lastTs) s.lastTs = ts;
    minutes.add(sid, ts);
  }
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
