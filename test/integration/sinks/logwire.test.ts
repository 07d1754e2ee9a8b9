import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { allLogs, makeRecords, originIds, postLogs, writeSinksFile } from './helpers.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0).reverse()) await h.close();
});

async function pair(extra: Record<string, unknown> = {}): Promise<{ a: TestHub; b: TestHub }> {
  const b = await startTestHub();
  hubs.push(b);
  const dir = tempDir();
  const sinks = writeSinksFile(dir, [{ name: 'central', type: 'logwire', url: b.wsUrl, token: b.token, batch: { max_records: 500, max_wait_ms: 20 }, ...extra }]);
  const a = await startTestHub({ config: { sinks } });
  hubs.push(a);
  return { a, b };
}

describe('sinks/logwire', () => {
  it('sinks/logwire - forwards every stored record to another hub once, keeping its id in fields.logwire_id', async () => {
    const { a, b } = await pair();
    for (let i = 0; i < 6; i++) await postLogs(a.url, a.token, makeRecords(500, `batch${i}`));
    const sent = await allLogs(a.url, a.token);
    expect(sent).toHaveLength(3000);
    const got = await waitFor(async () => {
      const r = await allLogs(b.url, b.token);
      return r.length >= 3000 && r;
    }, { what: '3000 records on the receiving hub', timeoutMs: 20_000 });
    const ids = originIds(got);
    expect(new Set(ids).size).toBe(3000);
    expect(new Set(ids)).toEqual(new Set(sent.map((r) => r.id)));
    const one = got.find((r) => r.fields?.logwire_id === sent[0].id)!;
    expect(one).toMatchObject({ service: sent[0].service, severity: sent[0].severity, message: sent[0].message, host: 'web-1', timestamp: sent[0].timestamp });
  });

  it('sinks/logwire - sends only what matches the sink filter', async () => {
    const { a, b } = await pair({ filter: { severity: 'ERROR+' } });
    await postLogs(a.url, a.token, makeRecords(700));
    const errors = (await allLogs(a.url, a.token)).filter((r) => r.severity === 'ERROR');
    expect(errors.length).toBe(100);
    await waitFor(async () => (await allLogs(b.url, b.token)).length >= 100, { what: 'the ERROR records forwarded' });
    // A marker after the rest: once it arrived, everything before it was dealt with.
    await postLogs(a.url, a.token, [{ service: 'payments', severity: 'FATAL', message: 'marker' }]);
    await waitFor(async () => (await allLogs(b.url, b.token)).some((r) => r.message === 'marker'), { what: 'the marker' });
    const got = await allLogs(b.url, b.token);
    expect(got.length).toBe(101);
    expect(got.every((r) => r.severity === 'ERROR' || r.severity === 'FATAL')).toBe(true);
  });
});
