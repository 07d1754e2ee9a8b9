import { describe, expect, it } from 'vitest';
import type { WireRecord } from '../../../hub/protocol/frames.js';
import { startRetention } from '../../../hub/store/retention.js';
import type { Store } from '../../../hub/store/types.js';
import { collect, makeRecords, tempStore } from '../../helpers/store.js';
import { modelQuery } from './model.js';

async function fill(store: Store, seed: number, rounds: number, size: number): Promise<WireRecord[]> {
  const out: WireRecord[] = [];
  for (let b = 0; b < rounds; b++) {
    const res = await Promise.all([0, 1].map((k) => store.append(makeRecords(seed + b * 10 + k, size, (b * 2 + k) * size))));
    for (const r of res) if (!r.duplicate) out.push(...r.records);
  }
  return out;
}

function expectedStats(rs: WireRecord[]) {
  const perService: Record<string, number> = {};
  const lastPerService: Record<string, number> = {};
  for (const r of rs) {
    perService[r.service] = (perService[r.service] ?? 0) + 1;
    lastPerService[r.service] = Math.max(lastPerService[r.service] ?? -Infinity, r.ts);
  }
  return { total: rs.length, perService, lastPerService };
}

describe('delete', () => {
  it('delete - deleteBefore goes by event time, returns the count and updates stats and hosts', async () => {
    const { store } = await tempStore();
    const all = await fill(store, 1, 4, 150);
    const cut = [...all].sort((a, b) => a.ts - b.ts)[Math.floor(all.length * 0.4)].ts;
    const expected = all.filter((r) => r.ts < cut).length;
    const deleted = await store.deleteBefore(cut);
    expect(deleted).toBe(expected);
    const left = all.filter((r) => r.ts >= cut);
    expect(collect(store.query({}, { order: 'asc' }))).toEqual(modelQuery(left, {}, { order: 'asc' }));
    expect(store.stats()).toMatchObject(expectedStats(left));
    const h1 = store.hosts().find((h) => h.host === 'host-1')!;
    expect(h1.count).toBe(left.filter((r) => r.host === 'host-1').length);
    expect(await store.deleteBefore(cut)).toBe(0);
  });

  it('delete - deleting everything empties stats, hosts and queries; new appends still work', async () => {
    const { store, dir } = await tempStore();
    const all = await fill(store, 2, 2, 100);
    const lastId = store.lastId()!;
    expect(await store.deleteBefore(Math.max(...all.map((r) => r.ts)) + 1)).toBe(all.length);
    expect(store.stats()).toEqual({ total: 0, perService: {}, perSeverity: {}, lastPerService: {}, perServiceSeverity: {} });
    expect(store.hosts()).toEqual([]);
    expect(collect(store.query({}, { order: 'desc' }))).toEqual([]);
    const more = await store.append(makeRecords(3, 4));
    if (more.duplicate) throw new Error('duplicate');
    expect(more.records[0].id > lastId).toBe(true);
    expect(store.stats().total).toBe(4);
    await store.close();
    const { store: again } = await tempStore(dir);
    expect(again.stats().total).toBe(4);
    expect(collect(again.query({}, { order: 'asc' }))).toEqual(more.records);
  });

  it('delete - counts and stats survive reopen after a partial delete', async () => {
    const { store, dir } = await tempStore();
    const all = await fill(store, 4, 3, 120);
    const cut = all[0].ts;
    await store.deleteBefore(cut);
    const stats = store.stats();
    await store.close();
    const { store: again } = await tempStore(dir);
    expect(again.stats()).toEqual(stats);
    expect(again.stats().total).toBe(all.filter((r) => r.ts >= cut).length);
  });

  it('delete - ingest keeps flowing while a delete runs', async () => {
    const { store } = await tempStore();
    const all = await fill(store, 5, 10, 300);
    const cut = [...all].sort((a, b) => a.ts - b.ts)[Math.floor(all.length / 2)].ts;
    const del = store.deleteBefore(cut);
    const appended = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(makeRecords(900 + i, 5).map((r) => ({ ...r, ts: cut + 1 + i })))));
    const deleted = await del;
    expect(deleted).toBe(all.filter((r) => r.ts < cut).length);
    expect(store.stats().total).toBe(all.length - deleted + 100);
    expect(appended.every((r) => !r.duplicate)).toBe(true);
  });

  it('retention - by age deletes records whose event time is older than the maximum age', async () => {
    const { store } = await tempStore();
    const all = await fill(store, 6, 2, 100);
    const now = all[0].ts + 50_000;
    const r = startRetention(store, { maxAgeMs: 20_000, intervalMs: 60_000, now: () => now });
    const n = await r.runOnce();
    await r.close();
    expect(n).toBe(all.filter((x) => x.ts < now - 20_000).length);
    expect(store.stats().total).toBe(all.length - n);
  });

  it('retention - by disk cap deletes the oldest received records until the store fits', async () => {
    const { store } = await tempStore();
    const all = await fill(store, 7, 10, 500);
    const before = store.diskBytes();
    const cap = Math.floor(before * 0.6);
    const r = startRetention(store, { maxDiskBytes: cap, intervalMs: 60_000 });
    const n = await r.runOnce();
    await r.close();
    expect(n).toBeGreaterThan(0);
    expect(store.diskBytes()).toBeLessThanOrEqual(cap);
    expect(store.stats().total).toBe(all.length - n);
    // Oldest first by receive order (ids sort that way): the survivors are the newest received.
    const left = collect(store.query({}, { order: 'asc' }));
    expect(left.map((x) => x.id)).toEqual(all.map((x) => x.id).sort().slice(n));
  });
});
