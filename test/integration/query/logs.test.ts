import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { api, startQueryHub, TOKENS, type Api } from './setup.js';

const NOW = Date.now();
const SEED = [
  { timestamp: '2024-12-01T00:00:00', service: 'auth-service', severity: 'INFO', message: 'ancient history' },
  { timestamp: '2025-04-01T12:00:00', service: 'auth-service', severity: 'ERROR', message: 'Failed login attempt for user ghost@example.com', host: 'web-1', file: '/var/log/auth.log' },
  { timestamp: '2025-04-01T12:00:01', service: 'auth-service', severity: 'INFO', message: 'User logged in successfully', host: 'web-1', file: '/var/log/auth.log' },
  { timestamp: '2025-04-01T12:00:05', service: 'auth-service', severity: 'DEBUG', message: 'Session token generated', host: 'web-1' },
  { timestamp: '2025-04-01T12:01:00', service: 'payment-service', severity: 'WARNING', message: 'Transaction timeout for order #8821 — retrying...', host: 'web-2', file: '/var/log/pay.log' },
  { timestamp: '2025-04-01T12:02:00Z', service: 'payment-service', severity: 'FATAL', message: 'Ledger unreachable', host: 'web-2' },
  { timestamp: '2025-04-01T12:03:00', service: 'notification-service', severity: 'INFO', message: 'Email sent to ALICE@example.com', host: 'web-3' },
  { timestamp: new Date(NOW - 5 * 60_000).toISOString(), service: 'notification-service', severity: 'TRACE', message: 'tick' },
];

let hub: TestHub;
let a: Api;

async function messages(path: string): Promise<string[]> {
  const r = await a.get(path, TOKENS.read);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.count).toBe(r.body.logs.length);
  return r.body.logs.map((l: { message: string }) => l.message);
}

async function badParam(path: string, param: string, method: 'get' | 'del' = 'get'): Promise<void> {
  const r = method === 'get' ? await a.get(path) : await a.del(path);
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.body.code).toBe('HUB_ERR_BAD_PARAM');
  expect(r.body.param).toBe(param);
  expect(r.body.error).toContain(param);
}

beforeAll(async () => {
  hub = await startQueryHub();
  a = api(hub);
  await a.post(SEED);
});
afterAll(() => hub?.close());

describe('query/logs', () => {
  it('query/logs - GET /logs returns every record newest first in the §2 JSON shape', async () => {
    const r = await a.get('/logs', TOKENS.read);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.body.count).toBe(SEED.length);
    expect(r.body.next_cursor).toBeNull();
    expect(r.body.logs.map((l: { message: string }) => l.message)).toEqual(SEED.map((s) => s.message).reverse());
    const warn = r.body.logs.find((l: { message: string }) => l.message.startsWith('Transaction'));
    expect(warn).toEqual({
      id: expect.any(String),
      timestamp: '2025-04-01T12:01:00.000Z',
      received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'payment-service',
      severity: 'WARN',
      message: 'Transaction timeout for order #8821 — retrying...',
      host: 'web-2',
      file: '/var/log/pay.log',
    });
  });

  it('query/logs - service filter takes repeated and comma-separated values', async () => {
    expect(await messages('/logs?service=payment-service')).toEqual(['Ledger unreachable', 'Transaction timeout for order #8821 — retrying...']);
    expect((await messages('/logs?service=auth-service')).length).toBe(4);
    expect((await messages('/logs?service=auth-service,payment-service')).length).toBe(6);
    expect((await messages('/logs?service=auth-service&service=payment-service')).length).toBe(6);
    expect(await messages('/logs?service=nobody')).toEqual([]);
  });

  it('query/logs - severity filter takes levels, aliases, X+ and a literal "WARN+" (arrives as "WARN ")', async () => {
    expect(await messages('/logs?severity=ERROR')).toEqual(['Failed login attempt for user ghost@example.com']);
    expect(await messages('/logs?severity=err')).toEqual(['Failed login attempt for user ghost@example.com']);
    expect(await messages('/logs?severity=WARNING')).toEqual(['Transaction timeout for order #8821 — retrying...']);
    const warnUp = ['Ledger unreachable', 'Transaction timeout for order #8821 — retrying...', 'Failed login attempt for user ghost@example.com'];
    expect(await messages('/logs?severity=WARN%2B')).toEqual(warnUp);
    expect(await messages('/logs?severity=warn+')).toEqual(warnUp); // '+' decodes to ' '
    expect(await messages('/logs?severity=WARN%20')).toEqual(warnUp);
    expect(await messages('/logs?severity=ERROR,TRACE')).toEqual(['tick', 'Failed login attempt for user ghost@example.com']);
    expect((await messages('/logs?severity=TRACE%2B')).length).toBe(SEED.length);
  });

  it('query/logs - host and file filters; file matches the path or its base name', async () => {
    expect((await messages('/logs?host=web-1')).length).toBe(3);
    expect((await messages('/logs?host=web-1,web-2')).length).toBe(5);
    expect((await messages('/logs?file=/var/log/auth.log')).length).toBe(2);
    expect((await messages('/logs?file=auth.log')).length).toBe(2);
    expect((await messages('/logs?file=pay.log&host=web-1')).length).toBe(0);
  });

  it('query/logs - event time bounds are inclusive, zone-less times are UTC, aliases work', async () => {
    const both = ['Ledger unreachable', 'Transaction timeout for order #8821 — retrying...'];
    expect(await messages('/logs?from=2025-04-01T12:00:30&to=2025-04-01T12:02:00')).toEqual(both);
    expect(await messages('/logs?timestamp_start=2025-04-01T12:00:30&timestamp_end=2025-04-01T12:02:00')).toEqual(both);
    expect(await messages('/logs?from=2025-04-01T12:00:30Z&to=2025-04-01T14:02:00%2B02:00')).toEqual(both);
    expect(await messages('/logs?to=2025-01-01')).toEqual(['ancient history']);
  });

  it('query/logs - relative times such as 1h and 7d', async () => {
    expect(await messages('/logs?from=1h')).toEqual(['tick']);
    expect(await messages('/logs?since=15m')).toEqual(['tick']);
    expect((await messages('/logs?to=7d')).length).toBe(SEED.length - 1);
  });

  it('query/logs - receive time bounds and their aliases', async () => {
    const first = (await a.get('/logs?order=asc&limit=1')).body.logs[0].received_at as string;
    const firstMs = Date.parse(first);
    // Ensure the next batch gets a later receive time.
    while (Date.now() <= firstMs + 1) await new Promise((r) => setTimeout(r, 2));
    const late = await a.post([{ service: 'late-service', message: 'late arrival' }]);
    expect(late.status).toBe(201);
    const lateRec = (await a.get('/logs?service=late-service')).body.logs[0];
    const lateAt = lateRec.received_at as string;
    expect(Date.parse(lateAt)).toBeGreaterThan(firstMs);
    expect(await messages(`/logs?received_from=${lateAt}`)).toEqual(['late arrival']);
    expect(await messages(`/logs?received_at_start=${lateAt}`)).toEqual(['late arrival']);
    expect((await messages(`/logs?received_to=${first}`)).length).toBe(SEED.length);
    expect((await messages(`/logs?received_at_end=${first}`)).length).toBe(SEED.length);
    expect((await messages('/logs?received_from=10m')).length).toBe(SEED.length + 1);
  });

  it('query/logs - q is a case-insensitive substring, regex a JavaScript regex', async () => {
    expect(await messages('/logs?q=alice')).toEqual(['Email sent to ALICE@example.com']);
    expect((await messages('/logs?q=EXAMPLE.COM')).length).toBe(2);
    expect(await messages('/logs?q=%238821')).toEqual(['Transaction timeout for order #8821 — retrying...']);
    expect(await messages(`/logs?regex=${encodeURIComponent('^Trans.*retrying')}`)).toEqual(['Transaction timeout for order #8821 — retrying...']);
    expect(await messages(`/logs?regex=${encodeURIComponent('(?i)^email')}`)).toEqual(['Email sent to ALICE@example.com']);
    expect(await messages(`/logs?regex=${encodeURIComponent('^email')}`)).toEqual([]);
  });

  it('query/logs - filters combine', async () => {
    expect(await messages('/logs?severity=ERROR&service=auth-service&q=ghost&host=web-1&from=2025-01-01')).toEqual(['Failed login attempt for user ghost@example.com']);
    expect(await messages('/logs?severity=ERROR&service=payment-service')).toEqual([]);
  });

  it('query/logs - limit and order', async () => {
    const all = await messages('/logs?order=desc');
    const asc = await messages('/logs?order=asc');
    expect(asc).toEqual([...all].reverse());
    const two = await a.get('/logs?limit=2');
    expect(two.body.count).toBe(2);
    expect(two.body.logs.map((l: { message: string }) => l.message)).toEqual(all.slice(0, 2));
    expect(typeof two.body.next_cursor).toBe('string');
    expect((await a.get(`/logs?limit=${all.length}`)).body.next_cursor).toBeNull();
    expect((await a.get('/logs?limit=10000')).status).toBe(200);
  });

  it('query/logs - a token in the query string authenticates (browsers)', async () => {
    const r = await a.get(`/logs?token=${TOKENS.read}&limit=1`, null);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(1);
  });

  it('query/logs - bad parameters are a 400 naming them', async () => {
    await badParam('/logs?severity=LOUD', 'severity');
    await badParam('/logs?severity=WARN%2B%2B', 'severity');
    await badParam('/logs?limit=abc', 'limit');
    await badParam('/logs?limit=0', 'limit');
    await badParam('/logs?limit=-5', 'limit');
    await badParam('/logs?limit=2.5', 'limit');
    await badParam('/logs?limit=10001', 'limit');
    await badParam('/logs?limit=1e9', 'limit');
    await badParam('/logs?limit=1&limit=2', 'limit');
    await badParam('/logs?order=sideways', 'order');
    await badParam('/logs?from=yesterday', 'from');
    await badParam('/logs?to=2025-13-45', 'to');
    await badParam('/logs?timestamp_start=garbage', 'timestamp_start');
    await badParam('/logs?timestamp_end=garbage', 'timestamp_end');
    await badParam('/logs?received_from=nope', 'received_from');
    await badParam('/logs?received_at_start=nope', 'received_at_start');
    await badParam('/logs?received_at_end=nope', 'received_at_end');
    await badParam(`/logs?regex=${encodeURIComponent('(unclosed')}`, 'regex');
    await badParam(`/logs?regex=${encodeURIComponent('(a)\\1')}`, 'regex');
    await badParam('/logs?cursor=not-a-cursor', 'cursor');
    await badParam('/logs?cursor=abc', 'cursor');
    await badParam('/logs?after=abc', 'after');
    await badParam('/logs?sevrity=ERROR', 'sevrity');
    await badParam('/logs?service=a&bogus=1', 'bogus');
  });
});

describe('query/logs-service', () => {
  it('query/logs-service - GET /logs/:service returns its newest records, oldest first', async () => {
    const r = await a.get('/logs/auth-service', TOKENS.read);
    expect(r.status).toBe(200);
    expect(r.body.service).toBe('auth-service');
    expect(r.body.count).toBe(4);
    expect(r.body.logs.map((l: { message: string }) => l.message)).toEqual(SEED.filter((s) => s.service === 'auth-service').map((s) => s.message));
    const two = await a.get('/logs/auth-service?limit=2');
    expect(two.body.logs.map((l: { message: string }) => l.message)).toEqual(['User logged in successfully', 'Session token generated']);
    const newestFirst = await a.get('/logs/auth-service?limit=2&order=desc');
    expect(newestFirst.body.logs.map((l: { message: string }) => l.message)).toEqual(['Session token generated', 'User logged in successfully']);
  });

  it('query/logs-service - filters, trailing slash, encoded names', async () => {
    expect((await a.get('/logs/auth-service?severity=ERROR')).body.count).toBe(1);
    expect((await a.get('/logs/auth-service/')).body.count).toBe(4);
    await a.post([{ service: 'odd name/with slash', message: 'odd' }]);
    const odd = await a.get(`/logs/${encodeURIComponent('odd name/with slash')}`);
    expect(odd.body).toMatchObject({ service: 'odd name/with slash', count: 1 });
  });

  it('query/logs-service - an unknown service is 200 with count 0', async () => {
    const r = await a.get('/logs/no-such-service');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ service: 'no-such-service', count: 0, logs: [] });
  });

  it('query/logs-service - bad parameters are a 400 naming them', async () => {
    await badParam('/logs/auth-service?limit=lots', 'limit');
    await badParam('/logs/auth-service?limit=20000', 'limit');
    await badParam('/logs/auth-service?severity=LOUD', 'severity');
    await badParam('/logs/auth-service?service=x', 'service');
    await badParam('/logs/auth-service?cursor=x', 'cursor');
  });
});

describe('query/delete', () => {
  it('query/delete - needs the admin scope', async () => {
    expect((await a.del('/logs?before=2000-01-01', null)).status).toBe(401);
    const ro = await a.del('/logs?before=2000-01-01', TOKENS.read);
    expect(ro.status).toBe(403);
    expect(ro.body.code).toBe('HUB_ERR_FORBIDDEN');
    expect((await a.del('/logs?before=2000-01-01', TOKENS.ingest)).status).toBe(403);
  });

  it('query/delete - before is required and must be a time', async () => {
    await badParam('/logs', 'before', 'del');
    await badParam('/logs?before=', 'before', 'del');
    await badParam('/logs?before=someday', 'before', 'del');
    await badParam('/logs?before=1d&service=x', 'service', 'del');
  });

  it('query/delete - deletes by event time and says how many', async () => {
    const none = await a.del('/logs?before=2000-01-01T00:00:00');
    expect(none.body).toEqual({ deleted: 0, message: '0 log(s) deleted' });
    const before = (await a.get('/logs?limit=10000')).body.count;
    const r = await a.del('/logs?before=2025-01-01T00:00:00');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ deleted: 1, message: '1 log(s) deleted' });
    expect(await messages('/logs?q=ancient')).toEqual([]);
    expect((await a.get('/logs?limit=10000')).body.count).toBe(before - 1);
    const rel = await a.del('/logs?before=10d');
    expect(rel.body.deleted).toBe(6);
    expect(await messages('/logs?service=auth-service,payment-service')).toEqual([]);
  });
});
