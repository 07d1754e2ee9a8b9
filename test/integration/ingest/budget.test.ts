/**
 * The in-flight budget's rules, on an in-process hub whose store is watched: frames over the
 * budget wait undecoded (so at most what fits is being stored at once), are all answered in
 * order as acks free room, and a connection that queues more than its window is closed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const batch = (seq: number) => ({ type: 'batch', seq, records: Array.from({ length: 200 }, (_, i) => ({ message: `b${seq}-${i} ${'y'.repeat(100)}` })) });

/** Counts appends running at once (the store groups concurrent ones into one commit). */
function watchAppends(h: TestHub): { max: number } {
  const store = h.hub.ctx.store;
  const seen = { max: 0 };
  let now = 0;
  const watched = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    seen.max = Math.max(seen.max, ++now);
    try {
      return await fn(...args);
    } finally {
      now--;
    }
  };
  // Shipper batches reach the store through appendSegment (ingest/fast-batch.ts), POST bodies through append.
  store.append = watched(store.append.bind(store));
  store.appendSegment = watched(store.appendSegment.bind(store));
  return seen;
}

describe('ingest budget', () => {
  it('ingest budget - over the budget, pipelined batches wait undecoded and are stored one at a time, all acked in order', async () => {
    hub = await startTestHub({ config: { maxInflightBytes: 1 } });
    const appends = watchAppends(hub);
    const clients = await Promise.all([1, 2, 3].map(() => connectIngest(hub.wsUrl, hub.token)));
    await Promise.all(clients.map((c, i) => handshake(c, `b${i}`)));
    for (let seq = 1; seq <= 8; seq++) for (const c of clients) c.send(batch(seq));
    for (const c of clients) {
      for (let seq = 1; seq <= 8; seq++) expect(await c.next()).toMatchObject({ type: 'ack', seq, stored: 200 });
    }
    expect(appends.max).toBe(1);
    expect([...hub.hub.ctx.store.query({}, { order: 'asc' })].length).toBe(3 * 8 * 200);
  });

  it('ingest budget - without a budget to wait for, pipelined batches are stored concurrently (the watch above can see it)', async () => {
    hub = await startTestHub();
    const appends = watchAppends(hub);
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'free');
    for (let seq = 1; seq <= 8; seq++) c.send(batch(seq));
    for (let seq = 1; seq <= 8; seq++) expect((await c.next()).type).toBe('ack');
    expect(appends.max).toBeGreaterThan(1);
  });

  it('ingest budget - a connection queueing more than max_inflight frames while the budget is full is closed with 1008', async () => {
    hub = await startTestHub({ config: { maxInflightBytes: 1, maxInflight: 2 } });
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'greedy');
    for (let seq = 1; seq <= 20; seq++) c.send(batch(seq));
    const frames = [];
    for (let f = await c.next(); ; f = await c.next()) {
      frames.push(f);
      if (f.type === 'error') break;
    }
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'inflight_exceeded' });
    expect((await c.closed).code).toBe(1008);
  });
});
