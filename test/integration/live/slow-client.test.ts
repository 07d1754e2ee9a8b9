/**
 * Slow live-tail clients: a stalled client beside a fast one. The fast one gets everything, in
 * order; the stalled one loses records but is told exactly how many; ingest goes on. A client
 * stuck for long is closed with 1008 and a reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { openTail, postLogs } from './tail-client.js';

const TOKEN = 'admin-token-slow-0001';
let hub: TestHub;
let strict: TestHub;

beforeAll(async () => {
  [hub, strict] = await Promise.all([
    startTestHub({ tokens: [{ token: TOKEN, scopes: ['admin'] }], config: { heartbeatMs: 200 }, start: { fanout: { liveTail: { maxBufferedBytes: 64 * 1024, stuckMs: 60_000 } } } }),
    startTestHub({ tokens: [{ token: TOKEN, scopes: ['admin'] }], config: { heartbeatMs: 100 }, start: { fanout: { liveTail: { maxBufferedBytes: 16 * 1024, stuckMs: 400 } } } }),
  ]);
});
afterAll(async () => { await Promise.all([hub?.close(), strict?.close()]); });

async function ingest(url: string, service: string, total: number, batch = 500): Promise<number> {
  const started = performance.now();
  const padding = 'x'.repeat(300);
  for (let i = 0; i < total; i += batch) {
    await postLogs(url, TOKEN, Array.from({ length: Math.min(batch, total - i) }, (_, j) => ({ service, message: `${i + j} ${padding}` })));
  }
  return performance.now() - started;
}

describe('live tail - slow clients', () => {
  it('live tail - a stalled client drops and counts; the fast one and ingest are unaffected', async () => {
    const total = 20_000;
    const baselineMs = await ingest(hub.url, 'slow-baseline', total);

    const fast = await openTail(hub.wsUrl, { service: 'slow', format: 'msgpack' }, TOKEN);
    const slow = await openTail(hub.wsUrl, { service: 'slow', format: 'msgpack' }, TOKEN);
    slow.ws.pause(); // stop reading: the kernel buffers fill, then the hub's socket buffer
    const withSlowMs = await ingest(hub.url, 'slow', total);

    await fast.waitRecords(total, 20_000);
    const ids = fast.records.map((r) => r.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(total);
    expect(fast.dropped()).toBe(0);

    slow.ws.resume();
    await waitFor(() => slow.records.length + slow.dropped() >= total, { timeoutMs: 20_000, what: 'slow client to account for every record' });
    expect(slow.dropped()).toBeGreaterThan(0);
    expect(slow.records.length + slow.dropped()).toBe(total);
    expect(slow.isClosed()).toBe(false);
    // The dropped notice comes before the records that follow the gap.
    expect(slow.frames.some((f) => f.type === 'dropped')).toBe(true);

    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    const dropped = Number(/logwire_tail_dropped_records_total (\d+)/.exec(metrics)?.[1]);
    expect(dropped).toBe(slow.dropped());
    // Loose bound (2 shared cores); the benchmark measures this precisely.
    expect(withSlowMs).toBeLessThan(baselineMs * 3 + 2000);
    await fast.close();
    await slow.close();
  });

  it('live tail - closes a client stuck for long with 1008 and a reason', async () => {
    const stuck = await openTail(strict.wsUrl, { service: 'stuck' }, TOKEN);
    stuck.ws.pause();
    await ingest(strict.url, 'stuck', 20_000);
    // The hub gives up on it (its side closes) while the client still is not reading.
    await waitFor(async () => /logwire_tail_clients 0/.test(await (await fetch(`${strict.url}/metrics`)).text()), { timeoutMs: 10_000, what: 'the hub to close the stuck client' });
    stuck.ws.resume(); // read the backlog, then the close frame
    const closed = await stuck.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/too slow/);
  });
});
