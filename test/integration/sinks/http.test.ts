import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { startFakeReceiver, ndjsonLines, type FakeReceiver } from './fake-receiver.js';
import { allLogs, makeRecords, postLogs, QUICK, sinkStats, writeSinksFile } from './helpers.js';

const cleanup: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c.close();
});

async function forwarder(sinks: unknown[]): Promise<TestHub> {
  const a = await startTestHub({ config: { sinks: writeSinksFile(tempDir(), sinks) } });
  cleanup.push(a);
  return a;
}

async function fake(handler?: FakeReceiver['handler']): Promise<FakeReceiver> {
  const f = await startFakeReceiver(handler);
  cleanup.push(f);
  return f;
}

/** Ids of the records that arrived with a 2xx answer. */
function acceptedIds(f: FakeReceiver, ok: (n: number) => boolean): string[] {
  return f.requests.flatMap((r, i) => (ok(i + 1) ? ndjsonLines(r.body).map((x) => String(x.id)) : []));
}

describe('sinks/http', () => {
  it('sinks/http - NDJSON of the JSON records; 503 and 429 are retried until accepted, honouring Retry-After', async () => {
    const answers = [{ status: 503 }, { status: 429, headers: { 'retry-after': '1' } }];
    const f = await fake((_r, n) => answers[n - 1] ?? { status: 200 });
    const a = await forwarder([{ name: 'web', type: 'http', url: `${f.url}/ingest`, token: 's3cret', headers: { 'x-team': 'ops' }, ...QUICK, batch: { max_records: 1000, max_wait_ms: 20 } }]);
    await postLogs(a.url, a.token, makeRecords(300));
    const stored = await allLogs(a.url, a.token);
    await waitFor(() => f.requests.length >= 3, { what: 'three attempts' });
    const [first, second, third] = f.requests;
    expect(third.at - second.at).toBeGreaterThanOrEqual(950);
    for (const r of [first, second, third]) {
      expect(r.path).toBe('/ingest');
      expect(r.headers['content-type']).toBe('application/x-ndjson');
      expect(r.headers.authorization).toBe('Bearer s3cret');
      expect(r.headers['x-team']).toBe('ops');
    }
    const lines = ndjsonLines(third.body);
    expect(lines).toEqual([...stored].sort((x, y) => (x.id < y.id ? -1 : 1)));
    const st = await waitFor(async () => (await sinkStats(a.url, a.token)).find((s) => s.sent === 300), { what: 'sent 300 in /stats' });
    expect(st.retried).toBe(2);
    expect(st.lag_records).toBe(0);
    expect(st.last_error?.message).toMatch(/HTTP 429/);
  });

  it('sinks/http - a connection reset and a stalled receiver are retried; nothing is lost', async () => {
    const f = await fake((_r, n) => (n === 1 ? 'reset' : n === 2 ? 'stall' : { status: 204 }));
    const a = await forwarder([{ name: 'web', type: 'http', url: f.url, timeout_ms: 500, ...QUICK }]);
    await postLogs(a.url, a.token, makeRecords(150));
    const stored = (await allLogs(a.url, a.token)).map((r) => r.id);
    await waitFor(async () => (await sinkStats(a.url, a.token))[0]?.sent === 150, { what: 'all sent', timeoutMs: 15_000 });
    expect(new Set(acceptedIds(f, (n) => n >= 3))).toEqual(new Set(stored));
    expect((await sinkStats(a.url, a.token))[0].retried).toBe(2);
  });

  it('sinks/http - a 400 for the batch is counted and skipped, later records still flow', async () => {
    const f = await fake((_r, n) => (n === 1 ? { status: 400, body: 'bad' } : { status: 200 }));
    const a = await forwarder([{ name: 'web', type: 'http', url: f.url, ...QUICK }]);
    await postLogs(a.url, a.token, makeRecords(10));
    await waitFor(async () => (await sinkStats(a.url, a.token))[0]?.skipped.rejected === 10, { what: 'ten skipped' });
    await postLogs(a.url, a.token, makeRecords(5, 'later'));
    await waitFor(async () => (await sinkStats(a.url, a.token))[0]?.sent === 5, { what: 'five sent' });
    expect(acceptedIds(f, (n) => n >= 2)).toHaveLength(5);
  });

  it('sinks/http - a dead receiver neither blocks another sink nor ingest, and shows its lag', async () => {
    const good = await fake();
    const a = await forwarder([
      { name: 'dead', type: 'http', url: 'http://127.0.0.1:1/', ...QUICK },
      { name: 'good', type: 'http', url: good.url, ...QUICK },
    ]);
    for (let i = 0; i < 5; i++) await postLogs(a.url, a.token, makeRecords(200, `r${i}`));
    await waitFor(async () => (await sinkStats(a.url, a.token)).find((s) => s.name === 'good')?.sent === 1000, { what: 'good sink caught up' });
    const dead = (await sinkStats(a.url, a.token)).find((s) => s.name === 'dead')!;
    expect(dead.sent).toBe(0);
    expect(dead.lag_records).toBe(1000);
    expect(dead.lag_seconds).toBeGreaterThan(0);
    expect(dead.retried).toBeGreaterThan(0);
    expect(dead.last_error?.message).toMatch(/unreachable/);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/logwire_sink_lag_records\{sink="dead"\} 1000/);
    expect(metrics).toMatch(/logwire_sink_sent_records_total\{sink="good"\} 1000/);
  });

  it('sinks/http - records retention deletes before a down sink sent them are counted as skipped', async () => {
    let up = false;
    const f = await fake(() => (up ? { status: 200 } : { status: 503 }));
    const a = await forwarder([{ name: 'web', type: 'http', url: f.url, ...QUICK, batch: { max_records: 5, max_wait_ms: 20 } }]);
    const old = makeRecords(40, 'old').map((r) => ({ ...r, timestamp: '2020-01-01T00:00:00Z' }));
    await postLogs(a.url, a.token, [...old, ...makeRecords(10, 'new')]);
    await waitFor(() => f.requests.length >= 2, { what: 'the sink retrying' });
    const del = await fetch(`${a.url}/logs?before=2021-01-01T00:00:00Z`, { method: 'DELETE', headers: { authorization: `Bearer ${a.token}` } });
    expect(((await del.json()) as { deleted: number }).deleted).toBe(40);
    up = true;
    // What the sink had read ahead when the deletion ran (4 batches of 5: 20 old records) is
    // delivered; the next read finds the other 20 gone.
    await postLogs(a.url, a.token, makeRecords(1, 'marker'));
    const st = await waitFor(async () => {
      const s = (await sinkStats(a.url, a.token))[0];
      return s.lag_records === 0 && s;
    }, { what: 'caught up' });
    expect(st.skipped.deleted_unsent).toBe(20);
    expect(st.sent).toBe(31);
  });
});
