import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';
import { waitFor } from '../../helpers/wait.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const post = (body: unknown, token = hub.token) =>
  fetch(`${hub.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? NaN : Number(line.split(' ').at(-1));
}

describe('hub health and metrics', () => {
  it('health - 200 with store and bus state; needs no token', async () => {
    hub = await startTestHub();
    await post([{ message: 'a' }, { message: 'b' }]);
    const res = await fetch(`${hub.url}/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', hub: hub.hub.ctx.store.hubId, store: { ok: true, records: 2 }, bus: { ok: true } });
    expect(body.store.bytes).toBeGreaterThan(0);
  });

  it('health - 503 when the store cannot be used', async () => {
    hub = await startTestHub();
    await hub.hub.ctx.store.close(); // as if the disk went away
    const res = await fetch(`${hub.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable', store: { ok: false } });
  });

  it('metrics - Prometheus text with ingest counters, rejections by reason, store size and connections', async () => {
    hub = await startTestHub();
    await post([{ message: 'ok' }, { message: 'm', service: 'x'.repeat(200) }]);
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'm1');
    c.send({ type: 'batch', seq: 1, records: [{ message: 'a' }, { message: 'b' }, {}] });
    await c.next();
    c.send({ type: 'batch', seq: 1, records: [{ message: 'a' }] }); // resent on this connection: duplicate
    await c.next();
    c.send({ type: 'batch', seq: Number.MAX_SAFE_INTEGER, records: [{ message: 'a' }] }); // absurd jump → closed
    await c.closed;
    const c2 = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c2, 'm1');
    c2.send({ type: 'batch', seq: 1, records: [{ message: 'a' }] }); // a resend: duplicate
    await c2.next();
    const res = await fetch(`${hub.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(metric(text, 'logwire_ingest_records_total', '{path="http"}')).toBe(1);
    expect(metric(text, 'logwire_ingest_records_total', '{path="ws"}')).toBe(2);
    expect(metric(text, 'logwire_ingest_rejected_records_total', '{reason="service_too_long"}')).toBe(1);
    expect(metric(text, 'logwire_ingest_rejected_records_total', '{reason="missing_message"}')).toBe(1);
    expect(metric(text, 'logwire_ingest_duplicate_batches_total')).toBe(2);
    expect(metric(text, 'logwire_ingest_protocol_errors_total', '{code="seq_jump_too_large"}')).toBe(1);
    expect(metric(text, 'logwire_ingest_connections')).toBe(1);
    expect(metric(text, 'logwire_store_records')).toBe(3);
    expect(metric(text, 'logwire_store_size_bytes')).toBeGreaterThan(0);
    c2.close();
  });

  it('metrics - can require a read token', async () => {
    hub = await startTestHub({ config: { metricsPublic: false } });
    expect((await fetch(`${hub.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${hub.token}` } })).status).toBe(200);
  });
});

describe('hub retention', () => {
  it('retention - --retention deletes records older than the window (by event time) in the background, while ingest goes on', async () => {
    hub = await startTestHub({ config: { retention: '1h', retentionIntervalMs: 50 } });
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const res = await post([...Array.from({ length: 50 }, (_, i) => ({ message: `old ${i}`, timestamp: old })), { message: 'fresh' }]);
    expect(res.status).toBe(201);
    await waitFor(() => hub.hub.ctx.store.stats().total === 1, { what: 'retention to delete the old records' });
    expect(await post({ message: 'still ingesting' }).then((r) => r.status)).toBe(201);
    expect([...hub.hub.ctx.store.query({}, { order: 'asc' })].map((r) => r.message)).toEqual(['fresh', 'still ingesting']);
  });
});
