import { describe, expect, it } from 'vitest';
import type { ValidRecord } from '../../../hub/protocol/record.js';
import { startRetention } from '../../../hub/store/retention.js';
import type { Store } from '../../../hub/store/types.js';
import { collect, tempStore } from '../../helpers/store.js';

const HOUR = 3_600_000;
const BATCHES = 40;
const PER_BATCH = 1000;

/**
 * 40 batches of 1,000, each its own commit group, in receive order; EARLIER batches carry LATER
 * event times (so "oldest by event time" and "oldest received" disagree), and one record dated
 * 23 h ahead arrives alone in the middle. Returns the ids in receive order and the future one.
 */
async function fillSkewed(store: Store): Promise<{ ids: string[]; futureId: string }> {
  const now = Date.now();
  const ids: string[] = [];
  let futureId = '';
  for (let b = 0; b < BATCHES; b++) {
    if (b === BATCHES / 2) {
      const r = await store.append([{ ts: now + 23 * HOUR, service: 'api', severity: 'INFO', message: 'dated ahead', host: 'h1' }]);
      futureId = r.records[0].id;
      ids.push(futureId);
    }
    const recs: ValidRecord[] = [];
    for (let i = 0; i < PER_BATCH; i++) {
      const ts = now - 2 * HOUR + (BATCHES - b) * 60_000 + i;
      recs.push({ ts, service: b % 2 ? 'api' : 'auth', severity: 'INFO', message: `batch ${b} line ${i} user=${(i * 7919) % 1000} status=ok`, host: 'h1' });
    }
    const r = await store.append(recs);
    ids.push(...r.records.map((x) => x.id));
  }
  await store.indexed();
  return { ids, futureId };
}

describe('delete-oldest', () => {
  it('delete-oldest - the disk cap removes only the oldest-received groups, about the overshoot, whatever the event times', async () => {
    const { store } = await tempStore();
    const { ids, futureId } = await fillSkewed(store);
    expect(ids.length).toBe(40_001);
    expect([...ids].sort()).toEqual(ids); // ids sort in receive order
    const used = store.diskBytes();
    const cap = Math.floor(used * 0.9);

    const r = startRetention(store, { maxDiskBytes: cap, intervalMs: 60_000 });
    const n = await r.runOnce();
    await r.close();

    expect(store.diskBytes()).toBeLessThanOrEqual(cap);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(ids.length * 0.25); // about the 10% overshoot, not everything
    const left = collect(store.query({}, { order: 'asc' })).map((x) => x.id);
    expect(left.length).toBe(ids.length - n);
    expect(store.stats().total).toBe(left.length);
    // Exactly a prefix of receive order is gone, in whole batches.
    expect(left).toEqual(ids.slice(n));
    expect(n % PER_BATCH).toBe(0);
    expect(left).toContain(futureId);
    expect(left.slice(-PER_BATCH)).toEqual(ids.slice(-PER_BATCH));
    // The event-time index lost the deleted chunks too: a time-bounded query sees just the survivors.
    const timed = collect(store.query({ from: 0, to: Date.now() + 24 * HOUR }, { order: 'asc', by: 'event' }));
    expect(timed.length).toBe(left.length);
    expect(new Set(timed.map((x) => x.id))).toEqual(new Set(left));
    // A second pass under the cap deletes nothing.
    const again = startRetention(store, { maxDiskBytes: cap, intervalMs: 60_000 });
    expect(await again.runOnce()).toBe(0);
    await again.close();
  }, 60_000);

  it('delete-oldest - deleteOldestReceived keeps counters right and ingest keeps working', async () => {
    const { store } = await tempStore();
    const { ids } = await fillSkewed(store);
    const n = await store.deleteOldestReceived(Math.floor(store.diskBytes() * 0.3));
    expect(n).toBeGreaterThan(0);
    const stats = store.stats();
    const left = collect(store.query({}, { order: 'asc' }));
    expect(stats.total).toBe(left.length);
    for (const svc of ['api', 'auth']) expect(stats.perService[svc] ?? 0).toBe(left.filter((x) => x.service === svc).length);
    expect(left.map((x) => x.id)).toEqual(ids.slice(n));
    const more = await store.append([{ ts: Date.now(), service: 'api', severity: 'WARN', message: 'after delete', host: 'h1' }]);
    expect(collect(store.query({}, { order: 'desc', limit: 1 }))[0].id).toBe(more.records[0].id);
  }, 60_000);
});
