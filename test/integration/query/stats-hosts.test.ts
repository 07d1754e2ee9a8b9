import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { api, startQueryHub, TOKENS, type Api } from './setup.js';

let hub: TestHub;
let a: Api;

const SEED = [
  { timestamp: '2025-04-01T12:00:00Z', service: 'auth-service', severity: 'INFO', message: 'line one', host: 'web-1', file: '/var/log/syslog' },
  { timestamp: '2025-04-01T12:05:00Z', service: 'auth-service', severity: 'ERROR', message: 'line two', host: 'web-1', file: '/var/log/syslog' },
  { timestamp: '2025-04-01T12:01:00Z', service: 'auth-service', severity: 'error', message: 'line three', host: 'web-1', file: '/var/log/app.log' },
  { timestamp: '2025-04-01T12:04:30.250Z', service: 'payment-service', severity: 'WARNING', message: 'three log lines', host: 'web-2', file: '/var/log/syslog' },
  { timestamp: '2025-04-01T11:59:00Z', service: 'notification-service', severity: 'DEBUG', message: 'no host here' },
];

beforeAll(async () => {
  hub = await startQueryHub();
  a = api(hub);
  await a.post(SEED);
});
afterAll(() => hub?.close());

function getWithHost(path: string, host: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: hub.port, path, headers: { host, authorization: `Bearer ${TOKENS.read}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('query/stats', () => {
  it('query/stats - totals per service, severity and service×severity, last event time per service', async () => {
    const r = await a.get('/stats', TOKENS.read);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      total: 5,
      logs_per_service: { 'auth-service': 3, 'payment-service': 1, 'notification-service': 1 },
      logs_per_severity: { DEBUG: 1, INFO: 1, WARN: 1, ERROR: 2 },
      last_log_per_service: {
        'auth-service': '2025-04-01T12:05:00.000Z',
        'payment-service': '2025-04-01T12:04:30.250Z',
        'notification-service': '2025-04-01T11:59:00.000Z',
      },
      logs_per_service_severity: {
        'auth-service': { INFO: 1, ERROR: 2 },
        'payment-service': { WARN: 1 },
        'notification-service': { DEBUG: 1 },
      },
    });
    expect(Object.keys(r.body.logs_per_severity)).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
    expect(typeof r.body.ingest_rate).toBe('number');
  });

  it('query/stats - ingest_rate reflects records stored over the last minute', async () => {
    await a.post(Array.from({ length: 600 }, (_, i) => ({ service: 'rate', message: `r${i}` })));
    const rate = await waitFor(async () => {
      const r = await a.get('/stats');
      return r.body.ingest_rate > 0 ? (r.body.ingest_rate as number) : undefined;
    }, { timeoutMs: 5_000, what: 'a non-zero ingest_rate' });
    expect(rate).toBeGreaterThan(0);
    expect((await a.get('/stats')).body.total).toBe(605);
  });

  it('query/stats - read scope, no parameters', async () => {
    expect((await a.get('/stats', null)).status).toBe(401);
    expect((await a.get('/stats', TOKENS.ingest)).status).toBe(403);
    const r = await a.get('/stats?service=x');
    expect(r.status).toBe(400);
    expect(r.body.param).toBe('service');
  });
});

describe('query/hosts', () => {
  it('query/hosts - GET /hosts lists hosts with absolute links', async () => {
    const r = await a.get('/hosts', TOKENS.read);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      data: [
        { host: 'web-1', url: `${hub.url}/hosts/web-1/` },
        { host: 'web-2', url: `${hub.url}/hosts/web-2/` },
      ],
    });
    expect((await a.get('/hosts/')).body).toEqual(r.body);
  });

  it('query/hosts - links use the Host header the client used', async () => {
    const r = await getWithHost('/hosts/', 'logs.example.com:8080');
    expect(r.body.data[0].url).toBe('http://logs.example.com:8080/hosts/web-1/');
    const files = await getWithHost('/hosts/web-2/', 'logs.example.com:8080');
    expect(files.body.data[0].url).toBe('http://logs.example.com:8080/hosts/web-2/logs?file=%2Fvar%2Flog%2Fsyslog');
  });

  it('query/hosts - GET /hosts/:host and /files list the files with links to their logs', async () => {
    const expected = {
      data: [
        { filename: '/var/log/app.log', host: 'web-1', url: `${hub.url}/hosts/web-1/logs?file=%2Fvar%2Flog%2Fapp.log` },
        { filename: '/var/log/syslog', host: 'web-1', url: `${hub.url}/hosts/web-1/logs?file=%2Fvar%2Flog%2Fsyslog` },
      ],
    };
    for (const path of ['/hosts/web-1', '/hosts/web-1/', '/hosts/web-1/files', '/hosts/web-1/files/']) {
      const r = await a.get(path);
      expect(r.status, path).toBe(200);
      expect(r.body, path).toEqual(expected);
    }
    // The link works as given.
    const follow = await fetch(expected.data[0].url, { headers: { authorization: `Bearer ${TOKENS.read}` } });
    const body = await follow.json();
    expect(body.data.map((d: { logline: string }) => d.logline)).toEqual(['line three']);
  });

  it('query/hosts - GET /hosts/:host/logs in the reference shape, newest event time first', async () => {
    const r = await a.get('/hosts/web-1/logs');
    expect(r.status).toBe(200);
    expect(r.body.data.map((d: { logline: string }) => d.logline)).toEqual(['line two', 'line three', 'line one']);
    expect(r.body.data[0]).toEqual({
      filename: '/var/log/syslog',
      last_modified: String(Date.parse('2025-04-01T12:05:00Z') / 1000),
      logline: 'line two',
      host: 'web-1',
      id: expect.any(String),
      timestamp: '2025-04-01T12:05:00.000Z',
      severity: 'ERROR',
      service: 'auth-service',
    });
  });

  it('query/hosts - filter, count and file (path or base name)', async () => {
    const words = async (q: string) => (await a.get(`/hosts/web-1/logs?${q}`)).body.data.map((d: { logline: string }) => d.logline);
    expect(await words('file=syslog')).toEqual(['line two', 'line one']);
    expect(await words('file=%2Fvar%2Flog%2Fsyslog')).toEqual(['line two', 'line one']);
    expect(await words('filter=THREE')).toEqual(['line three']);
    expect(await words('file=syslog&filter=line&count=1')).toEqual(['line two']);
    expect(await words('count=2&order=asc')).toEqual(['line one', 'line three']);
    expect(await words('severity=ERROR')).toEqual(['line two', 'line three']);
    expect((await a.get('/hosts/web-2/logs?file=syslog&filter=three&count=2')).body.data.map((d: { logline: string }) => d.logline)).toEqual(['three log lines']);
  });

  it('query/hosts - unknown host is a 404; bad parameters a 400 naming them', async () => {
    for (const path of ['/hosts/nope', '/hosts/nope/', '/hosts/nope/files', '/hosts/nope/logs']) {
      const r = await a.get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.code).toBe('HUB_ERR_NOT_FOUND');
    }
    for (const [q, param] of [['count=abc', 'count'], ['count=0', 'count'], ['count=99999', 'count'], ['severity=LOUD', 'severity'], ['regex=(', 'regex'], ['limit=3', 'limit'], ['from=nope', 'from']]) {
      const r = await a.get(`/hosts/web-1/logs?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.param, q).toBe(param);
    }
    expect((await a.get('/hosts?x=1')).body.param).toBe('x');
    expect((await a.get('/hosts', null)).status).toBe(401);
    expect((await a.get('/hosts/web-1/logs', TOKENS.ingest)).status).toBe(403);
  });
});

describe('query/stats-after-delete', () => {
  it('query/stats - follows deletes', async () => {
    const before = (await a.get('/stats')).body;
    const del = await a.del('/logs?before=2025-04-01T12:00:30Z');
    expect(del.body.deleted).toBe(2);
    const after = (await a.get('/stats')).body;
    expect(after.total).toBe(before.total - 2);
    expect(after.logs_per_service['notification-service']).toBeUndefined();
    expect(after.logs_per_service['auth-service']).toBe(2);
  });

});
