/**
 * --max-queued-bytes on each ingest path, against an in-process hub: a WebSocket frame that
 * would pass the cap (all connections together) gets an error frame `hub_busy` and close 1013,
 * and a reconnect resends it; a POST body (POST /logs, receivers) that would pass it is answered
 * 503 HUB_ERR_BUSY with Retry-After while a body over --max-body-bytes is still a 413; room comes
 * back once read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';

let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const records = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ service: 'q', message: `${tag}-${i} ${'z'.repeat(200)}` }));

async function post(h: TestHub, body: string): Promise<Response> {
  return fetch(`${h.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body });
}

describe('queued budget', () => {
  it('queued budget - a frame past the cap closes its connection with hub_busy and 1013; the resend after a reconnect is stored once', async () => {
    // Inflight 1 byte: every frame after the first waits undecoded; 30 KB queued at most.
    hub = await startTestHub({ config: { maxInflightBytes: 1, maxQueuedBytes: 30_000 } });
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'busy');
    for (let seq = 1; seq <= 4; seq++) c.send({ type: 'batch', seq, records: records(`b${seq}`, 60) }); // ~13 KB each
    const frames = [];
    for (;;) {
      const f = await Promise.race([c.next(), c.closed.then(() => null)]);
      if (f === null) break;
      frames.push(f);
    }
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ type: 'error', code: 'hub_busy' });
    expect(await c.closed).toMatchObject({ code: 1013 });
    const acked = Math.max(0, ...frames.filter((f) => f.type === 'ack').map((f) => (f as { seq: number }).seq));
    expect(acked).toBeLessThan(4);

    const again = await connectIngest(hub.wsUrl, hub.token);
    const welcome = await handshake(again, 'busy');
    for (let seq = welcome.acked + 1; seq <= 4; seq++) {
      again.send({ type: 'batch', seq, records: records(`b${seq}`, 60) });
      expect(await again.next()).toMatchObject({ type: 'ack', seq, stored: 60 });
    }
    again.close();
    const stats = await (await fetch(`${hub.url}/stats`, { headers: { authorization: `Bearer ${hub.token}` } })).json();
    expect(stats.total).toBe(240);
  }, 30_000);

  it('queued budget - a POST body past the cap (POST /logs or a receiver) is a 503 with Retry-After; within it, 201; over --max-body-bytes, 413', async () => {
    hub = await startTestHub({ config: { maxQueuedBytes: 20_000, maxBodyBytes: 100_000 } });
    const big = await post(hub, JSON.stringify(records('big', 150))); // ~33 KB
    expect(big.status).toBe(503);
    expect(big.headers.get('retry-after')).toBe('1');
    expect(await big.json()).toMatchObject({ code: 'HUB_ERR_BUSY' });
    const small = await post(hub, JSON.stringify(records('small', 20)));
    expect(small.status).toBe(201);
    const huge = await post(hub, JSON.stringify(records('huge', 600))); // ~130 KB
    expect(huge.status).toBe(413);
    // The refused bodies gave their room back: the next small one fits again.
    expect((await post(hub, JSON.stringify(records('after', 20)))).status).toBe(201);
    // Receivers' bodies count against the same cap (Loki push here).
    const values = Array.from({ length: 150 }, (_, i) => [String(Date.now() * 1e6 + i), `loki ${i} ${'z'.repeat(200)}`]);
    const loki = await fetch(`${hub.url}/loki/api/v1/push`, { method: 'POST', headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: { service_name: 'q' }, values }] }) });
    expect(loki.status).toBe(503);
    expect(loki.headers.get('retry-after')).toBe('1');
  }, 30_000);
});
