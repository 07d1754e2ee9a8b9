/**
 * Stream limits (issue 8, --max-streams-per-service, --max-streams) against a real hub: a record
 * that would create a stream past a limit is refused alone with `stream_limit` (WebSocket ack and
 * POST /logs answer), the rest of its batch is stored, records of existing streams keep being
 * stored, and a stream dropped by a deletion frees its place.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';

let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const rec = (service: string, host: string, message = `${service}@${host}`) => ({ service, host, severity: 'INFO', message });

async function post(h: TestHub, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${h.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

describe('stream limits', () => {
  it('stream limits - per service: records that would add a stream past the limit are refused alone with stream_limit; existing streams keep working', async () => {
    hub = await startTestHub({ config: { maxStreamsPerService: 3, maxStreams: 100 } });
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'limits');
    c.send({ type: 'batch', seq: 1, records: [rec('api', 'a'), rec('api', 'b'), rec('api', 'c'), rec('api', 'd'), rec('api', 'a', 'again'), rec('web', 'd'), rec('api', 'e')] });
    const ack = await c.next();
    expect(ack).toMatchObject({ type: 'ack', seq: 1, stored: 5, rejected: [{ index: 3, reason: 'stream_limit' }, { index: 6, reason: 'stream_limit' }] });
    // Existing streams are not affected: more records for a, b, c are stored.
    c.send({ type: 'batch', seq: 2, records: [rec('api', 'a', 'a3'), rec('api', 'c', 'c2'), rec('api', 'z')] });
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 2, stored: 2, rejected: [{ index: 2, reason: 'stream_limit' }] });
    c.close();

    const whole = await post(hub, [rec('api', 'y')]);
    expect(whole.status).toBe(400);
    expect(whole.body.rejected).toEqual([{ index: 0, reason: 'stream_limit' }]);
    expect(whole.body.error).toMatch(/--max-streams-per-service/);
    const part = await post(hub, [rec('api', 'b', 'b2'), rec('api', 'x')]);
    expect(part.status).toBe(201);
    expect(part.body).toMatchObject({ saved: 1, rejected: [{ index: 1, reason: 'stream_limit' }] });

    const stats = await (await fetch(`${hub.url}/stats`, { headers: { authorization: `Bearer ${hub.token}` } })).json();
    expect(stats.logs_per_service).toEqual({ api: 7, web: 1 });
    const logs = await (await fetch(`${hub.url}/logs?service=api&limit=100`, { headers: { authorization: `Bearer ${hub.token}` } })).json();
    expect(new Set(logs.logs.map((l: { host: string }) => l.host))).toEqual(new Set(['a', 'b', 'c']));

    // Deleting a stream's records drops it, which frees its place under the limit.
    const del = await fetch(`${hub.url}/logs?before=${Date.now() + 60_000}`, { method: 'DELETE', headers: { authorization: `Bearer ${hub.token}` } });
    expect(del.status).toBe(200);
    expect(hub.hub.ctx.store.streamCount()).toBe(0);
    expect((await post(hub, [rec('api', 'p'), rec('api', 'q'), rec('api', 'r'), rec('api', 's')])).body).toMatchObject({ saved: 3, rejected: [{ index: 3, reason: 'stream_limit' }] });
  }, 30_000);

  it('stream limits - the store-wide limit applies across services', async () => {
    hub = await startTestHub({ config: { maxStreamsPerService: 100, maxStreams: 4 } });
    const r = await post(hub, [rec('a', '1'), rec('b', '1'), rec('c', '1'), rec('d', '1'), rec('e', '1'), rec('a', '1', 'again')]);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ saved: 5, rejected: [{ index: 4, reason: 'stream_limit' }] });
    expect(hub.hub.ctx.store.streamCount()).toBe(4);
  }, 30_000);
});
