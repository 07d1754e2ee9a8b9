import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { collect, makeRecords, tempStore } from '../../helpers/store.js';

/** Counts commit groups by reading the closed store's `groups` db directly. */
async function countGroups(dir: string): Promise<number> {
  const root = open({ path: join(dir, 'store'), maxDbs: 16 });
  const groups = root.openDB('groups', { encoding: 'binary', keyEncoding: 'binary' });
  const n = groups.getKeysCount();
  await root.close();
  return n;
}

describe('writer', () => {
  it('writer - coalesces many concurrent appends into few commit groups, each resolving with its own records', async () => {
    const { store, dir } = await tempStore();
    const batches = Array.from({ length: 200 }, (_, i) => makeRecords(100 + i, 10, i * 10));
    const res = await Promise.all(batches.map((b, i) => store.append(b, { shipper: `s${i % 8}`, seq: Math.floor(i / 8) + 1 })));
    res.forEach((r, i) => {
      expect(r.duplicate).toBe(false);
      if (!r.duplicate) expect(r.records.map((w) => w.message)).toEqual(batches[i].map((b) => b.message));
    });
    const allIds = res.flatMap((r) => (r.duplicate ? [] : r.records.map((w) => w.id)));
    expect(new Set(allIds).size).toBe(2000);
    expect(allIds).toEqual([...allIds].sort());
    expect(store.stats().total).toBe(2000);
    await store.close();
    expect(await countGroups(dir)).toBeLessThanOrEqual(3);
  });

  it('writer - appends arriving while a commit is in flight form the next group', async () => {
    const { store, dir } = await tempStore();
    const first = store.append(makeRecords(1, 100));
    await new Promise((r) => setImmediate(r)); // the first group is now committing
    const later = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(makeRecords(2 + i, 5))));
    await first;
    expect(later.every((r) => !r.duplicate)).toBe(true);
    await store.indexed(); // groups are written by the indexer, from the log
    await store.close();
    const groups = await countGroups(dir);
    expect(groups).toBeGreaterThanOrEqual(2);
    expect(groups).toBeLessThanOrEqual(4);
  });

  it('writer - a (shipper, seq) already stored is a duplicate and stores nothing', async () => {
    const { store } = await tempStore();
    const a = await store.append(makeRecords(1, 5), { shipper: 'x', seq: 3 });
    expect(a.duplicate).toBe(false);
    expect(store.ackedSeq('x')).toBe(3);
    expect(await store.append(makeRecords(2, 5), { shipper: 'x', seq: 3 })).toEqual({ duplicate: true });
    expect(await store.append(makeRecords(3, 5), { shipper: 'x', seq: 1 })).toEqual({ duplicate: true });
    expect((await store.append(makeRecords(4, 5), { shipper: 'y', seq: 3 })).duplicate).toBe(false);
    expect((await store.append(makeRecords(5, 5), { shipper: 'x', seq: 10 })).duplicate).toBe(false); // gaps allowed
    expect(store.stats().total).toBe(15);
    expect(store.ackedSeq('x')).toBe(10);
    expect(store.ackedSeq('never')).toBe(0);
  });

  it('writer - concurrent duplicates of an in-flight seq resolve duplicate only after it is durable', async () => {
    const { store } = await tempStore();
    const recs = makeRecords(7, 20);
    const order: string[] = [];
    const original = store.append(recs, { shipper: 'z', seq: 1 }).then((r) => {
      order.push('original');
      return r;
    });
    const dups = [store.append(recs, { shipper: 'z', seq: 1 }), store.append(recs, { shipper: 'z', seq: 1 })].map((p) =>
      p.then((r) => {
        order.push('dup');
        return r;
      }),
    );
    const [o, ...d] = await Promise.all([original, ...dups]);
    expect(o.duplicate).toBe(false);
    expect(d).toEqual([{ duplicate: true }, { duplicate: true }]);
    expect(order[0]).toBe('original');
    expect(store.stats().total).toBe(20);
    expect(collect(store.query({}, { order: 'asc' }))).toHaveLength(20);
  });

  it('writer - an origin with zero records still advances the shipper seq', async () => {
    const { store, dir } = await tempStore();
    const r = await store.append([], { shipper: 'empty', seq: 4 });
    expect(r.duplicate).toBe(false);
    if (!r.duplicate) expect([r.count, r.records]).toEqual([0, []]);
    expect(store.ackedSeq('empty')).toBe(4);
    expect(await store.append(makeRecords(1, 2), { shipper: 'empty', seq: 4 })).toEqual({ duplicate: true });
    await store.close();
    const { store: again } = await tempStore(dir);
    expect(again.ackedSeq('empty')).toBe(4);
    expect(again.stats().total).toBe(0);
  });

  it('writer - dedupe and ackedSeq survive close and reopen', async () => {
    const { store, dir } = await tempStore();
    for (let seq = 1; seq <= 5; seq++) await store.append(makeRecords(seq, 3), { shipper: 'persist', seq });
    await store.close();
    const { store: again } = await tempStore(dir);
    expect(again.ackedSeq('persist')).toBe(5);
    for (let seq = 1; seq <= 5; seq++) expect(await again.append(makeRecords(seq, 3), { shipper: 'persist', seq })).toEqual({ duplicate: true });
    expect((await again.append(makeRecords(6, 3), { shipper: 'persist', seq: 6 })).duplicate).toBe(false);
    expect(again.stats().total).toBe(18);
  });

  it('writer - close waits for queued appends, later appends are refused', async () => {
    const { store, dir } = await tempStore();
    const pending = Array.from({ length: 20 }, (_, i) => store.append(makeRecords(i, 10)));
    await store.close();
    expect((await Promise.all(pending)).every((r) => !r.duplicate)).toBe(true);
    await expect(store.append(makeRecords(99, 1))).rejects.toThrow(/closed/);
    const { store: again } = await tempStore(dir);
    expect(again.stats().total).toBe(200);
  });
});

describe('writer limits', () => {
  it('writer - a queue larger than one group is split into several groups, each append durable with its own group', async () => {
    const { store, dir } = await tempStore();
    const { MAX_GROUP_RECORDS } = await import('../../../hub/store/writer.js');
    const per = 5000;
    const n = Math.ceil((MAX_GROUP_RECORDS * 2.5) / per);
    const recs = makeRecords(42, per);
    const res = await Promise.all(Array.from({ length: n }, (_, i) => store.append(recs, { shipper: 'big', seq: i + 1 })));
    expect(res.every((r) => !r.duplicate)).toBe(true);
    expect(store.stats().total).toBe(n * per);
    expect(store.ackedSeq('big')).toBe(n);
    await store.indexed();
    await store.close();
    expect(await countGroups(dir)).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
