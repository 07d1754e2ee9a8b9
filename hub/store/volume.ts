/**
 * The volume index: how many records each stream holds per minute of EVENT time, kept in memory
 * (GET /logs/volume sums it for a histogram over the whole store in milliseconds) and mirrored to
 * the `vol` db in the same transaction as the records it counts (docs/storage.md):
 *
 *   vol   [streamId u32][minute u32 = floor(ts / 60000), clamped] → count u32 LE   (absent = 0)
 *
 * Writers add deltas (`add`), which return the persisted value to write; a failed commit's deltas
 * are reverted by its undo, and the keys it touched are rewritten with the next group (a pipelined
 * successor may have persisted counts that included the failed group).
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

/** Per-stream minute counts of event time. */
export class VolumeIndex {
  /** sid → minute → count. */
  readonly bySid = new Map<number, Map<number, number>>();
  private readonly dirty = new Map<number, Set<number>>();

  /** Loads one `vol` entry at open. */
  load(key: Uint8Array, value: Uint8Array): void {
    if (key.length !== 8 || value.length !== 4) return;
    const k = Buffer.from(key.buffer, key.byteOffset, 8);
    const n = Buffer.from(value.buffer, value.byteOffset, 4).readUInt32LE(0);
    if (n > 0) this.minutes(k.readUInt32BE(0)).set(k.readUInt32BE(4), n);
  }

  private minutes(sid: number): Map<number, number> {
    let m = this.bySid.get(sid);
    if (!m) this.bySid.set(sid, (m = new Map()));
    return m;
  }

  /** Adds `delta` records at `minute` of stream `sid` in memory; returns the op persisting it. */
  add(dbs: StoreDbs, sid: number, minute: number, delta: number): Op {
    const m = this.minutes(sid);
    const n = Math.max(0, (m.get(minute) ?? 0) + delta);
    if (n === 0) m.delete(minute);
    else m.set(minute, n);
    return this.op(dbs, sid, minute, n);
  }

  private op(dbs: StoreDbs, sid: number, minute: number, n: number): Op {
    const key = volKey(sid, minute);
    if (n === 0) return { db: dbs.vol, key };
    const v = Buffer.allocUnsafe(4);
    v.writeUInt32LE(Math.min(n, MAX_U32), 0);
    return { db: dbs.vol, key, value: v };
  }

  /** Adds the counts of records with event times `ts` to stream `sid`; pushes the ops to `ops`. */
  addAll(dbs: StoreDbs, sid: number, ts: ArrayLike<number>, sign: 1 | -1, ops: Op[]): void {
    let cur = -1;
    let run = 0;
    const counts = new Map<number, number>();
    for (let i = 0; i < ts.length; i++) {
      const m = minuteOf(ts[i]);
      if (m !== cur) {
        if (run > 0) counts.set(cur, (counts.get(cur) ?? 0) + run);
        cur = m;
        run = 0;
      }
      run++;
    }
    if (run > 0) counts.set(cur, (counts.get(cur) ?? 0) + run);
    for (const [m, n] of counts) ops.push(this.add(dbs, sid, m, sign * n));
  }

  /** Reverts `addAll` deltas in memory after a failed commit and marks the keys for rewriting. */
  revert(sid: number, ts: ArrayLike<number>, sign: 1 | -1): void {
    const m = this.minutes(sid);
    let d = this.dirty.get(sid);
    if (!d) this.dirty.set(sid, (d = new Set()));
    for (let i = 0; i < ts.length; i++) {
      const minute = minuteOf(ts[i]);
      const n = Math.max(0, (m.get(minute) ?? 0) - sign);
      if (n === 0) m.delete(minute);
      else m.set(minute, n);
      d.add(minute);
    }
  }

  /** Ops rewriting every key a failed commit touched (current in-memory values). */
  takeDirty(dbs: StoreDbs, ops: Op[]): void {
    for (const [sid, set] of this.dirty) {
      const m = this.minutes(sid);
      for (const minute of set) ops.push(this.op(dbs, sid, minute, m.get(minute) ?? 0));
    }
    this.dirty.clear();
  }

  /** Oldest and newest minute across `sids` (undefined when they hold nothing). */
  extent(sids: Iterable<number>): { lo: number; hi: number } | undefined {
    let lo = Infinity;
    let hi = -Infinity;
    for (const sid of sids) {
      const m = this.bySid.get(sid);
      if (!m) continue;
      for (const k of m.keys()) {
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
    }
    return lo <= hi ? { lo, hi } : undefined;
  }
}
