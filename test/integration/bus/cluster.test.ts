/**
 * Hubs on NATS (a private nats-server for this file; it is killed and restarted): a record
 * ingested at one hub reaches a tail on another; history merges every hub; NATS outages never
 * stop ingest, /health says so, and tails resume with a gap notice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { startNats, type TestNats } from '../../helpers/nats.js';
import { waitFor } from '../../helpers/wait.js';
import { allIds, openTail, postLogs } from '../live/tail-client.js';

const TOKEN = 'admin-token-cluster-0001';
let nats: TestNats;
let a: TestHub;
let b: TestHub;

async function health(hub: TestHub): Promise<{ status: number; body: { bus: { ok: boolean; peers?: string[]; error?: string } } }> {
  const res = await fetch(`${hub.url}/health`);
  return { status: res.status, body: (await res.json()) as { bus: { ok: boolean; peers?: string[] } } };
}

function startClusterHub(url: string): Promise<TestHub> {
  return startTestHub({ tokens: [{ token: TOKEN, scopes: ['admin'] }], config: { nats: url, heartbeatMs: 200 }, start: { fanout: { announceIntervalMs: 300 } } });
}

beforeAll(async () => {
  nats = await startNats({ needsRestart: true });
  [a, b] = await Promise.all([startClusterHub(nats.url), startClusterHub(nats.url)]);
  await waitFor(async () => (await health(a)).body.bus.peers?.length === 1 && (await health(b)).body.bus.peers?.length === 1, { what: 'hubs to discover each other' });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await nats?.close();
});

describe('cluster - two hubs on one NATS', () => {
  it('cluster - a record ingested at one hub reaches a tail on the other', async () => {
    const onB = await openTail(b.wsUrl, { service: 'x-hub' }, TOKEN);
    const onA = await openTail(a.wsUrl, { service: 'x-hub' }, TOKEN);
    await postLogs(a.url, TOKEN, [{ service: 'x-hub', message: 'from a' }]);
    await postLogs(b.url, TOKEN, [{ service: 'x-hub', message: 'from b' }]);
    await onB.waitRecords(2);
    await onA.waitRecords(2);
    expect(onB.records.map((r) => r.message).sort()).toEqual(['from a', 'from b']);
    expect(onA.records.map((r) => r.message).sort()).toEqual(['from a', 'from b']);
    await onA.close();
    await onB.close();
  });

  it('cluster - GET /logs on either hub merges every hub by id, with paging', async () => {
    for (let i = 0; i < 5; i++) {
      await postLogs(a.url, TOKEN, Array.from({ length: 30 }, (_, j) => ({ service: 'merge', message: `a ${i} ${j}` })));
      await postLogs(b.url, TOKEN, Array.from({ length: 30 }, (_, j) => ({ service: 'merge', message: `b ${i} ${j}` })));
    }
    const fromA = await allIds(a.url, TOKEN, { service: 'merge' });
    const fromB = await allIds(b.url, TOKEN, { service: 'merge' });
    expect(fromA.length).toBe(300);
    expect(fromB).toEqual(fromA);
    expect(fromA).toEqual([...fromA].sort());
    const res = await fetch(`${b.url}/logs?service=merge&q=A%201%20&limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { count: number };
    expect(body.count).toBe(30); // the filter (q, case-insensitive) is applied by the other hub too
  });

  it('cluster - after= on one hub replays every hub then continues live', async () => {
    await postLogs(a.url, TOKEN, [{ service: 'resume', message: 'a0' }]);
    await postLogs(b.url, TOKEN, [{ service: 'resume', message: 'b0' }]);
    const first = (await allIds(b.url, TOKEN, { service: 'resume' }))[0];
    await postLogs(a.url, TOKEN, [{ service: 'resume', message: 'a1' }]);
    await postLogs(b.url, TOKEN, [{ service: 'resume', message: 'b1' }]);
    const t = await openTail(b.wsUrl, { service: 'resume', after: first }, TOKEN);
    await t.waitRecords(3);
    await postLogs(a.url, TOKEN, [{ service: 'resume', message: 'a2' }]);
    await t.waitRecords(4);
    const ids = t.records.map((r) => r.id);
    expect(new Set(ids).size).toBe(4);
    expect(t.records.map((r) => r.message).slice(3)).toEqual(['a2']);
    await t.close();
  });
});

describe('cluster - NATS faults', () => {
  it('cluster - NATS killed and restarted mid-stream: ingest goes on, /health says so, tails resume and are told about the gap', async () => {
    const remote = await openTail(b.wsUrl, { service: 'outage', format: 'msgpack' }, TOKEN);
    const local = await openTail(a.wsUrl, { service: 'outage', format: 'msgpack' }, TOKEN);
    let sent = 0;
    const post = async (n: number) => { await postLogs(a.url, TOKEN, Array.from({ length: n }, () => ({ service: 'outage' }))); sent += n; };
    await post(100);
    await remote.waitRecords(100);

    await nats.stop();
    await waitFor(async () => !(await health(a)).body.bus.ok, { what: 'hub a to notice the outage' });
    const during = await health(a);
    expect(during.status).toBe(200);
    expect(during.body.bus.error).toMatch(/NATS/);
    for (let i = 0; i < 5; i++) await post(20); // ingest and storage continue
    await local.waitRecords(sent); // this hub's own tails never depend on NATS

    await nats.restart();
    await waitFor(async () => (await health(a)).body.bus.ok && (await health(b)).body.bus.ok, { timeoutMs: 15_000, what: 'both hubs to reconnect' });
    await post(50);
    await waitFor(() => remote.records.length >= 150, { timeoutMs: 10_000, what: 'records after the outage on the remote tail' });
    // The remote tail missed the 100 records stored during the outage and is told so.
    await waitFor(() => remote.count('gap') > 0, { what: 'a gap frame' });
    const lost = remote.frames.filter((f) => f.type === 'gap' && f.reason === 'bus_lost').reduce((s, f) => s + Number(f.count), 0);
    expect(remote.records.length + lost).toBe(sent);
    const outage = remote.frames.find((f) => f.type === 'gap' && f.reason === 'bus_outage');
    expect(outage).toBeDefined();
    // The local tail got every record, in order, none twice.
    const ids = local.records.map((r) => r.id);
    expect(ids.length).toBe(sent);
    expect(ids).toEqual([...ids].sort());
    // Nothing was lost from the store, and history on b sees all of it again.
    expect((await allIds(b.url, TOKEN, { service: 'outage' })).length).toBe(sent);
    await remote.close();
    await local.close();
  });

  it('cluster - a hub starts while NATS is down and connects when it comes up', async () => {
    const down = await startNats({ needsRestart: true });
    await down.stop();
    const hub = await startClusterHub(down.url);
    try {
      const h = await health(hub);
      expect(h.status).toBe(200);
      expect(h.body.bus.ok).toBe(false);
      await postLogs(hub.url, TOKEN, [{ service: 'early' }]);
      await down.restart();
      await waitFor(async () => (await health(hub)).body.bus.ok, { timeoutMs: 15_000, what: 'the late NATS connection' });
    } finally {
      await hub.close();
      await down.close();
    }
  });
});
