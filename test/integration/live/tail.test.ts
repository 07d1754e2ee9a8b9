/**
 * /v1/tail against a real in-process hub (real uWS, real LMDB, in-process bus): auth before the
 * upgrade, filters each way, formats, heartbeats, after= handoff under concurrent ingest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { allIds, openTail, postLogs } from './tail-client.js';

const ADMIN = 'admin-token-live-0001';
const READER = 'read-token-live-0001';
const WRITER = 'ingest-token-live-0001';
let hub: TestHub;

beforeAll(async () => {
  hub = await startTestHub({
    tokens: [
      { token: ADMIN, scopes: ['admin'] },
      { token: READER, scopes: ['read'] },
      { token: WRITER, scopes: ['ingest'] },
    ],
    config: { heartbeatMs: 200 },
    // Small replay pages so an after= replay spans many queries while ingest runs.
    start: { fanout: { liveTail: { replayPageRecords: 64 } } },
  });
});
afterAll(async () => { await hub?.close(); });

describe('live tail - auth', () => {
  it('live tail - refuses a missing or unknown token with 401 and a token without read with 403, before the upgrade', async () => {
    await expect(openTail(hub.wsUrl, {})).rejects.toThrow('HTTP 401');
    await expect(openTail(hub.wsUrl, {}, 'nope')).rejects.toThrow('HTTP 401');
    await expect(openTail(hub.wsUrl, {}, WRITER)).rejects.toThrow('HTTP 403');
  });

  it('live tail - accepts the token as a query parameter', async () => {
    const t = await openTail(hub.wsUrl, { service: 'qp' }, READER, { viaQuery: true });
    await postLogs(hub.url, ADMIN, [{ service: 'qp', message: 'hello' }]);
    await t.waitRecords(1);
    expect(t.records[0].message).toBe('hello');
    await t.close();
  });
});

describe('live tail - filters', () => {
  it('live tail - filters by service list, severity X+, host, file, q and regex', async () => {
    const tails = {
      services: await openTail(hub.wsUrl, { service: ['f-a', 'f-b'] }, READER),
      comma: await openTail(hub.wsUrl, { service: 'f-a,f-c' }, READER),
      warnPlus: await openTail(hub.wsUrl, { service: 'f-a,f-b,f-c', severity: 'WARN+' }, READER),
      sevList: await openTail(hub.wsUrl, { service: 'f-a,f-b,f-c', severity: 'debug,FATAL' }, READER),
      host: await openTail(hub.wsUrl, { host: 'h-2' }, READER),
      file: await openTail(hub.wsUrl, { file: 'app.log' }, READER),
      q: await openTail(hub.wsUrl, { q: 'TIMEOUT', service: 'f-a,f-b,f-c' }, READER),
      regex: await openTail(hub.wsUrl, { regex: '^user \\d+ logged in$' }, READER),
    };
    await postLogs(hub.url, ADMIN, [
      { service: 'f-a', severity: 'INFO', message: 'user 1 logged in', host: 'h-1', file: '/var/log/app.log' },
      { service: 'f-b', severity: 'ERROR', message: 'upstream timeout', host: 'h-2' },
      { service: 'f-c', severity: 'DEBUG', message: 'cache warm', host: 'h-1', file: '/var/log/other.log' },
      { service: 'f-c', severity: 'FATAL', message: 'user 2 logged in twice', host: 'h-2' },
      { service: 'f-a', severity: 'warning', message: 'slow Timeout' },
    ]);
    // The last record ends up everywhere it matches; wait for each tail's expected count.
    const expected: Record<keyof typeof tails, string[]> = {
      services: ['user 1 logged in', 'upstream timeout', 'slow Timeout'],
      comma: ['user 1 logged in', 'cache warm', 'user 2 logged in twice', 'slow Timeout'],
      warnPlus: ['upstream timeout', 'user 2 logged in twice', 'slow Timeout'],
      sevList: ['cache warm', 'user 2 logged in twice'],
      host: ['upstream timeout', 'user 2 logged in twice'],
      file: ['user 1 logged in'],
      q: ['upstream timeout', 'slow Timeout'],
      regex: ['user 1 logged in'],
    };
    for (const [name, t] of Object.entries(tails) as Array<[keyof typeof tails, (typeof tails)[keyof typeof tails]]>) {
      await t.waitRecords(expected[name].length);
    }
    // A sentinel after everything, seen by a catch-all tail, proves nothing more is on its way.
    const all = await openTail(hub.wsUrl, { service: 'f-sentinel' }, READER);
    await postLogs(hub.url, ADMIN, [{ service: 'f-sentinel', message: 'end' }]);
    await all.waitRecords(1);
    for (const [name, t] of Object.entries(tails) as Array<[keyof typeof tails, (typeof tails)[keyof typeof tails]]>) {
      expect(t.records.map((r) => r.message), name).toEqual(expected[name]);
      await t.close();
    }
    await all.close();
  });

  it('live tail - subscribes to the narrowest subjects and shares them between clients', async () => {
    const before = hub.hub.ctx.healthChecks.get('bus')!();
    expect(before.ok).toBe(true);
    const a = await openTail(hub.wsUrl, { service: 'narrow', severity: 'ERROR+' }, READER);
    const b = await openTail(hub.wsUrl, { service: 'narrow', severity: 'ERROR+' }, READER);
    await postLogs(hub.url, ADMIN, [{ service: 'narrow', severity: 'INFO' }, { service: 'narrow', severity: 'ERROR', message: 'bad' }]);
    await a.waitRecords(1);
    await b.waitRecords(1);
    expect(a.records.map((r) => r.message)).toEqual(['bad']);
    await a.close();
    await b.close();
  });

  for (const [params, reason] of [
    [{ regex: 'x(?=y)' }, /regex.*lookahead/],
    [{ regex: '([' }, /regex/],
    [{ severity: 'LOUD' }, /severity/],
    [{ format: 'xml' }, /format/],
    [{ after: 'abc' }, /after/],
    [{ last: '0' }, /last/],
    [{ last: '1001' }, /last/],
    [{ last: 'ten' }, /last/],
  ] as const) {
    it(`live tail - closes 1008 with the reason for ${JSON.stringify(params)}`, async () => {
      const t = await openTail(hub.wsUrl, params as Record<string, string>, READER);
      const { code, reason: why } = await t.closed;
      expect(code).toBe(1008);
      expect(why).toMatch(reason);
    });
  }
});

describe('live tail - formats and heartbeats', () => {
  it('live tail - json is text frames with the HTTP record shape, msgpack is binary with wire records', async () => {
    const json = await openTail(hub.wsUrl, { service: 'fmt' }, READER);
    const pack = await openTail(hub.wsUrl, { service: 'fmt', format: 'msgpack' }, READER);
    await postLogs(hub.url, ADMIN, [{ service: 'fmt', severity: 'WARN', message: 'm', host: 'h' }]);
    await json.waitRecords(1);
    await pack.waitRecords(1);
    expect(json.records[0]).toMatchObject({ service: 'fmt', severity: 'WARN', message: 'm', host: 'h' });
    expect(typeof json.records[0].timestamp).toBe('string');
    expect(typeof json.records[0].received_at).toBe('string');
    expect(pack.records[0]).toMatchObject({ id: json.records[0].id, service: 'fmt', severity: 'WARN' });
    expect(typeof pack.records[0].ts).toBe('number');
    expect(typeof pack.records[0].rts).toBe('number');
    await json.close();
    await pack.close();
  });

  it('live tail - sends heartbeats while idle', async () => {
    const t = await openTail(hub.wsUrl, { service: 'idle' }, READER);
    await waitFor(() => t.count('heartbeat') >= 2, { timeoutMs: 3000, what: 'two heartbeats' });
    await t.close();
  });

  it('live tail - reports clients, sent records in /metrics', async () => {
    const t = await openTail(hub.wsUrl, { service: 'metrics' }, READER);
    await postLogs(hub.url, ADMIN, [{ service: 'metrics' }]);
    await t.waitRecords(1);
    const text = await (await fetch(`${hub.url}/metrics`)).text();
    expect(text).toMatch(/logwire_tail_clients [1-9]/);
    expect(text).toMatch(/logwire_tail_sent_records_total [1-9]/);
    expect(text).toMatch(/logwire_tail_dropped_records_total \d/);
    await t.close();
  });
});

describe('live tail - after= handoff', () => {
  it('live tail - replays after an id then continues live with no gap and no duplicate under concurrent ingest', async () => {
    const service = 'handoff';
    await postLogs(hub.url, ADMIN, Array.from({ length: 2000 }, (_, i) => ({ service, message: `pre ${i}` })));
    const pre = await allIds(hub.url, ADMIN, { service });
    const after = pre[99];
    let stop = false;
    let batches = 0;
    // Full-speed ingest in the background: 4 concurrent posters.
    const writers = Array.from({ length: 4 }, async (_, w) => {
      while (!stop) {
        await postLogs(hub.url, ADMIN, Array.from({ length: 50 }, (_, i) => ({ service, message: `w${w} b${batches} ${i}` })));
        batches++;
      }
    });
    await waitFor(() => batches >= 10);
    // Several tails join at different moments while ingest runs.
    const tails = [];
    for (let i = 0; i < 3; i++) {
      tails.push(await openTail(hub.wsUrl, { service, after, format: i % 2 ? 'msgpack' : 'json' }, READER));
      await waitFor(() => batches >= 10 + (i + 1) * 5);
    }
    stop = true;
    await Promise.all(writers);
    const expected = (await allIds(hub.url, ADMIN, { service })).filter((id) => id > after);
    for (const t of tails) {
      await t.waitRecords(expected.length, 15_000);
      const got = t.records.map((r) => r.id);
      expect(new Set(got).size).toBe(got.length);
      expect(got).toEqual(expected);
      await t.close();
    }
  });
});

describe('live tail - last=', () => {
  it('live tail - last=N starts with the N newest stored matches in receive order, then continues live with no gap and no duplicate', async () => {
    const service = 'lastn';
    await postLogs(hub.url, ADMIN, Array.from({ length: 300 }, (_, i) => ({ service, message: `old ${i}` })));
    await postLogs(hub.url, ADMIN, [{ service: 'other', message: 'not mine' }]);
    const stored = (await allIds(hub.url, ADMIN, { service })).sort(); // ids sort in receive order
    const t = await openTail(hub.wsUrl, { service, last: '25' }, READER);
    await t.waitRecords(25);
    expect(t.records.map((r) => r.id)).toEqual(stored.slice(-25));
    await postLogs(hub.url, ADMIN, Array.from({ length: 10 }, (_, i) => ({ service, message: `new ${i}` })));
    await t.waitRecords(35);
    const all = (await allIds(hub.url, ADMIN, { service })).sort();
    expect(t.records.map((r) => r.id)).toEqual(all.slice(-35));
    await t.close();
  });

  it('live tail - last=N on fewer stored matches starts with all of them', async () => {
    const service = 'lastfew';
    await postLogs(hub.url, ADMIN, Array.from({ length: 3 }, (_, i) => ({ service, message: `few ${i}` })));
    const t = await openTail(hub.wsUrl, { service, last: '100' }, READER);
    await t.waitRecords(3);
    expect(t.records.map((r) => r.message)).toEqual(['few 0', 'few 1', 'few 2']);
    await t.close();
  });

  it('live tail - last cannot be combined with after', async () => {
    const t = await openTail(hub.wsUrl, { service: 'x', last: '5', after: '0'.repeat(24) }, READER);
    const { code, reason } = await t.closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/last.*after/);
  });
});
