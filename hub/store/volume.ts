/**
 * The volume index: how many records each stream holds per minute of EVENT time, in memory
 * (GET /logs/volume sums it for a histogram over the whole store in milliseconds), docs/storage.md.
 *
 * Two maps, because records are acked before they are indexed (log.ts, indexer.ts):
 * - `live` counts every acked record: bumped at append (in the log transaction's preparation),
 *   lowered by deletion. Queries read it, so volume includes records not yet indexed.
 * - `stored` mirrors the `vol` db, which counts indexed records only, written in the same
 *   transaction as their chunks (index-build.ts) or their deletion:
 *
 *   vol   [streamId u32][minute u32 = floor(ts / 60000), clamped] → count u32 LE   (absent = 0)
 *
 * At open, live = vol + the log tail's records (counted from the log), so kill -9 anywhere
 * neither loses nor double-counts. A failed commit's deltas are reverted by its undo; the `vol`
 * keys it touched are rewritten with the next index step (a pipelined successor may have persisted
 * values that included it).
 */
import type { Op, StoreDbs } from './state.js';

export const MINUTE_MS = 60_000;
const MAX_U32 = 0xffff_ffff;

/** The minute bucket of an event time. */
export function minuteOf(ts: number): number {
  const m = Math.floor(ts / MINUTE_MS);
  return m < 0 ? 0 : m > MAX_U32 ? MAX_U32 : m;
}

function volKey(sid: number, minute: number): Buffer {
  const k = Buffer.allocUnsafe(8);
  k.writeUInt32BE(sid, 0);
  k.writeUInt32BE(minute, 4);
  return k;
}

type Counts = Map<number, Map<number, number>>;

/** Adds `delta` to one (stream, minute) count; a stream's map goes when its last minute does. */
function bump(counts: Counts, sid: number, minute: number, delta: number): number {
  let m = counts.get(sid);
  if (!m) counts.set(sid, (m = new Map()));
  const n = Math.max(0, (m.get(minute) ?? 0) + delta);
  if (n === 0) {
    m.delete(minute);
    if (m.size === 0) counts.delete(sid);
  } else m.set(minute, n);
  return n;
}

/**
 * Run-length minute counts of a sequence of (stream, ts): consecutive records of one stream and
 * minute cost one comparison. `runs` holds (sid, minute, n) triples.
 */
export class MinuteRuns {
  readonly runs: number[] = [];
  private sid = -1;
  private minute = -1;
  private n = 0;

  add(sid: number, ts: number): void {
    const m = minuteOf(ts);
    if (sid === this.sid && m === this.minute) {
      this.n++;
      return;
    }
    this.flush();
    this.sid = sid;
    this.minute = m;
    this.n = 1;
  }

  /** Ends the current run; call before reading `runs`. */
  flush(): number[] {
    if (this.n > 0) this.runs.push(this.sid, this.minute, this.n);
    this.n = 0;
    this.sid = -1;
    return this.runs;
  }
}

/** Per-stream minute counts of event time (see header). */
export class VolumeIndex {
  /** sid → minute → count, every acked record (what queries read). */
  readonly live: Counts = new Map();
  /** The same for indexed records: mirrors the `vol` db. */
  private readonly stored: Counts = new Map();
  private readonly dirty = new Map<number, Set<number>>();

  /** Loads one `vol` entry at open. */
  load(key: Uint8Array, value: Uint8Array): void {
    if (key.length !== 8 || value.length !== 4) return;
    const k = Buffer.from(key.buffer, key.byteOffset, 8);
    const n = Buffer.from(value.buffer, value.byteOffset, 4).readUInt32LE(0);
    if (n === 0) return;
    bump(this.live, k.readUInt32BE(0), k.readUInt32BE(4), n);
    bump(this.stored, k.readUInt32BE(0), k.readUInt32BE(4), n);
  }

  /** Oldest live minute per stream, where known; dropped when that minute may have emptied. */
  private readonly oldest = new Map<number, number>();

  /** Adds `sign` × the runs (sid, minute, n triples) to the live counts. */
  countLive(runs: readonly number[], sign: 1 | -1): void {
    for (let i = 0; i < runs.length; i += 3) {
      const sid = runs[i];
      const minute = runs[i + 1];
      bump(this.live, sid, minute, sign * runs[i + 2]);
      const o = this.oldest.get(sid);
      if (o === undefined) continue;
      if (sign > 0 && minute < o) this.oldest.set(sid, minute);
      else if (sign < 0 && minute === o) this.oldest.delete(sid);
    }
  }

  /**
   * The oldest minute holding a live record of the stream (undefined when none): a lower bound on
   * its event times that deletion and oldest-first queries use to skip streams. Cached; a cache
   * miss costs one pass over the stream's minutes.
   */
  oldestMinute(sid: number): number | undefined {
    const cached = this.oldest.get(sid);
    if (cached !== undefined) return cached;
    const m = this.live.get(sid);
    if (!m) return undefined;
    let lo = Infinity;
    for (const k of m.keys()) if (k < lo) lo = k;
    this.oldest.set(sid, lo);
    return lo;
  }

  /**
   * The newest (`newest`) or oldest minute in loMinute..hiMinute holding a live record of the
   * stream; undefined when none does. A pass over the stream's minutes.
   */
  minuteIn(sid: number, loMinute: number, hiMinute: number, newest: boolean): number | undefined {
    const m = this.live.get(sid);
    if (!m) return undefined;
    let best: number | undefined;
    for (const k of m.keys()) {
      if (k < loMinute || k > hiMinute) continue;
      if (best === undefined || (newest ? k > best : k < best)) best = k;
    }
    return best;
  }

  /** Forgets a dropped stream (drop-streams.ts): its counts are all zero by then. */
  forget(sid: number): void {
    this.live.delete(sid);
    this.stored.delete(sid); // a pending rewrite of its keys (`dirty`) stays: it removes them
    this.oldest.delete(sid);
  }

  /** Adds `sign` × the runs to the stored counts and pushes the ops persisting them. */
  store(dbs: StoreDbs, runs: readonly number[], sign: 1 | -1, ops: Op[]): void {
    for (let i = 0; i < runs.length; i += 3) ops.push(this.op(dbs, runs[i], runs[i + 1], bump(this.stored, runs[i], runs[i + 1], sign * runs[i + 2])));
  }

  /** Reverts `store` after a failed commit and marks its keys for rewriting. */
  revertStored(runs: readonly number[], sign: 1 | -1): void {
    for (let i = 0; i < runs.length; i += 3) {
      bump(this.stored, runs[i], runs[i + 1], -sign * runs[i + 2]);
      let d = this.dirty.get(runs[i]);
      if (!d) this.dirty.set(runs[i], (d = new Set()));
      d.add(runs[i + 1]);
    }
  }

  /** Ops rewriting every key a failed commit touched (current stored values). */
  takeDirty(dbs: StoreDbs, ops: Op[]): void {
    for (const [sid, set] of this.dirty) for (const minute of set) ops.push(this.op(dbs, sid, minute, this.stored.get(sid)?.get(minute) ?? 0));
    this.dirty.clear();
  }

  private op(dbs: StoreDbs, sid: number, minute: number, n: number): Op {
    const key = volKey(sid, minute);
    if (n === 0) return { db: dbs.vol, key };
    const v = Buffer.allocUnsafe(4);
    v.writeUInt32LE(Math.min(n, MAX_U32), 0);
    return { db: dbs.vol, key, value: v };
  }

  /** Oldest and newest minute across `sids` (undefined when they hold nothing). */
  extent(sids: Iterable<number>): { lo: number; hi: number } | undefined {
    let lo = Infinity;
    let hi = -Infinity;
    for (const sid of sids) {
      const m = this.live.get(sid);
      if (!m) continue;
      for (const k of m.keys()) {
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
    }
    return lo <= hi ? { lo, hi } : undefined;
  }
}

/** Minute runs of one stream's event times. */
export function runsOf(sid: number, ts: ArrayLike<number>): number[] {
  const r = new MinuteRuns();
  for (let i = 0; i < ts.length; i++) r.add(sid, ts[i]);
  return r.flush();
}
