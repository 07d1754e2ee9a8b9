import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { bulkPairs, decodeLokiPush, startFakeReceiver, type FakeReceiver } from './fake-receiver.js';
import { allLogs, makeRecords, postLogs, QUICK, sinkStats, writeSinksFile } from './helpers.js';

const cleanup: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c.close();
});

async function setup(sink: Record<string, unknown>, handler: FakeReceiver['handler']): Promise<{ a: TestHub; f: FakeReceiver }> {
  const f = await startFakeReceiver(handler);
  cleanup.push(f);
  const a = await startTestHub({ config: { sinks: writeSinksFile(tempDir(), [{ name: 's', url: f.url, ...QUICK, ...sink }]) } });
  cleanup.push(a);
  return { a, f };
}

const byId = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : 1);

describe('sinks/loki', () => {
  it('sinks/loki - protobuf + snappy push: labels service, severity, host (+ extras); the rest, id included, as structured metadata', async () => {
    const { a, f } = await setup({ type: 'loki', labels: { env: 'prod' } }, () => ({ status: 204 }));
    await postLogs(a.url, a.token, [{ service: 'api', severity: 'WARN', host: 'h1', file: '/var/log/api.log', message: 'slow', timestamp: '2026-01-02T03:04:05.678Z', fields: { user: 'ann', ms: 1200 } }]);
    const [stored] = await allLogs(a.url, a.token);
    await waitFor(() => f.requests.length >= 1, { what: 'a push' });
    const req = f.requests[0];
    expect(req.path).toBe('/loki/api/v1/push');
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    const [e] = decodeLokiPush(req.body);
    expect(e.labels).toBe('{env="prod", host="h1", service="api", severity="WARN"}');
    expect(e.line).toBe('slow');
    expect(e.tsNs).toBe(BigInt(Date.parse('2026-01-02T03:04:05.678Z')) * 1_000_000n);
    expect(e.metadata).toEqual({ logwire_id: stored.id, file: '/var/log/api.log', user: 'ann', ms: '1200' });
  });

  it('sinks/loki - JSON encoding on request: streams with [ns, line, metadata] values', async () => {
    const { a, f } = await setup({ type: 'loki', encoding: 'json' }, () => ({ status: 204 }));
    await postLogs(a.url, a.token, makeRecords(3));
    const stored = (await allLogs(a.url, a.token)).sort(byId);
    await waitFor(() => f.requests.length >= 1, { what: 'a push' });
    expect(f.requests[0].headers['content-type']).toBe('application/json');
    const body = JSON.parse(f.requests[0].body.toString()) as { streams: Array<{ stream: Record<string, string>; values: Array<[string, string, Record<string, string>]> }> };
    const values = body.streams.flatMap((s) => s.values.map((v) => ({ labels: s.stream, v })));
    expect(values.map((x) => x.v[2].logwire_id).sort()).toEqual(stored.map((r) => r.id));
    const e = values.find((x) => x.v[2].logwire_id === stored[0].id)!;
    expect(e.labels).toEqual({ service: 'payments', severity: stored[0].severity, host: 'web-1' });
    expect(e.v[0]).toBe(`${Date.parse(stored[0].timestamp)}000000`);
    expect(e.v[1]).toBe(stored[0].message);
  });

  it('sinks/loki - a partial 400 skips the refused count and delivers the rest; 429 and 5xx retry', async () => {
    const { a, f } = await setup({ type: 'loki', batch: { max_records: 1000, max_wait_ms: 20 } }, (_r, n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '0' } } : n === 2 ? { status: 500 } : n === 3 ? { status: 400, body: "entry for stream '{service=\"payments\"}' has timestamp too old; user 'fake', total ignored: 7 out of 50" } : { status: 204 });
    await postLogs(a.url, a.token, makeRecords(50));
    const st = await waitFor(async () => (await sinkStats(a.url, a.token)).find((s) => s.sent > 0), { what: 'the partial push counted' });
    expect(st).toMatchObject({ sent: 43, skipped: { rejected: 7 }, retried: 2 });
    expect(decodeLokiPush(f.requests[2].body)).toHaveLength(50);
    await postLogs(a.url, a.token, makeRecords(3, 'after'));
    await waitFor(async () => (await sinkStats(a.url, a.token))[0].sent === 46, { what: 'later records delivered' });
  });
});

describe('sinks/elasticsearch', () => {
  it('sinks/elasticsearch - bulk create with the record id as _id into the per-service index; item 429 retried alone, 409 delivered, 400 skipped', async () => {
    const { a, f } = await setup({ type: 'elasticsearch', index: 'logs-{service}' }, (r, n) => {
      const pairs = bulkPairs(r.body);
      const items = pairs.map((_p, i) => {
        const status = n === 1 ? [201, 429, 409, 400][i % 4] : 201;
        return { create: { _index: pairs[i].action._index, _id: pairs[i].action._id, status, ...(status >= 400 && status !== 409 ? { error: { type: status === 400 ? 'mapper_parsing_exception' : 'es_rejected_execution_exception', reason: 'x' } } : {}) } };
      });
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ took: 1, errors: n === 1, items }) };
    });
    await postLogs(a.url, a.token, [...makeRecords(4, 'p', 'Payments'), ...makeRecords(4, 'a', 'auth')]);
    const stored = (await allLogs(a.url, a.token)).sort(byId);
    await waitFor(() => f.requests.length >= 2, { what: 'the retry of the 429 items' });
    expect(f.requests[0].path).toBe('/_bulk');
    const first = bulkPairs(f.requests[0].body);
    expect(first.map((p) => p.action._id)).toEqual(stored.map((r) => r.id));
    expect(first[0].action._index).toBe('logs-payments');
    expect(first[4].action._index).toBe('logs-auth');
    expect(first[0].doc).toMatchObject({ '@timestamp': stored[0].timestamp, message: stored[0].message, service: 'Payments', severity: stored[0].severity, host: 'web-1', n: 0 });
    const second = bulkPairs(f.requests[1].body);
    expect(second.map((p) => p.action._id)).toEqual([stored[1].id, stored[5].id]);
    const st = await waitFor(async () => (await sinkStats(a.url, a.token)).find((s) => s.sent + (s.skipped.rejected ?? 0) === 8), { what: 'every item resolved' });
    expect(st).toMatchObject({ sent: 6, skipped: { rejected: 2 }, retried: 1, lag_records: 0 });
  });
});
