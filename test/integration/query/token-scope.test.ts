/**
 * Token scoping of reads (docs/tokens.md), attacked over real sockets: a token bound to `payments`
 * asks for everything, for other services by name, by host, as NDJSON, on /stats, /hosts and on
 * a live tail, and sees only `payments`, as if no other service existed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { openTail, postLogs } from '../live/tail-client.js';

const ADMIN = 'scope-admin-token';
const PAY = 'scope-payments-token';
let hub: TestHub;

async function get(path: string, token = PAY, accept = 'application/json'): Promise<{ status: number; text: string; body: any }> {
  const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${token}`, accept } });
  const text = await res.text();
  let body: any;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: res.status, text, body };
}

beforeAll(async () => {
  hub = await startTestHub({ tokens: [
    { token: ADMIN, scopes: ['admin'], services: '*' },
    { token: PAY, scopes: ['read', 'ingest'], services: ['payments'] },
  ] });
  await postLogs(hub.url, ADMIN, [
    { service: 'payments', host: 'shared-host', file: '/var/log/pay.log', severity: 'ERROR', message: 'card declined' },
    { service: 'auth', host: 'shared-host', file: '/var/log/auth.log', severity: 'WARN', message: 'secret auth line' },
    { service: 'auth', host: 'auth-only-host', file: '/var/log/auth.log', message: 'secret on its own host' },
  ]);
});
afterAll(() => hub?.close());

describe('query token scope', () => {
  it('query scope - /logs, /logs/:service, NDJSON exports and /hosts/:host/logs show only the token\'s services', async () => {
    for (const path of ['/logs', '/logs?service=auth', '/logs?service=auth,payments', '/logs?q=secret', '/logs/auth', '/hosts/shared-host/logs']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.text, path).not.toContain('secret');
    }
    expect((await get('/logs')).body.count).toBe(1);
    expect((await get('/logs/auth')).body.count).toBe(0);
    const ndjson = await get('/logs', PAY, 'application/x-ndjson');
    expect(ndjson.text.trim().split('\n').map((l) => JSON.parse(l).service)).toEqual(['payments']);
    // The admin token still sees everything.
    expect((await get('/logs', ADMIN)).body.count).toBe(3);
  });

  it('query scope - /stats and /hosts count only the token\'s services', async () => {
    const stats = (await get('/stats')).body;
    expect(stats.total).toBe(1);
    expect(stats.logs_per_service).toEqual({ payments: 1 });
    expect(stats.logs_per_severity).toEqual({ ERROR: 1 });
    expect(Object.keys(stats.last_log_per_service)).toEqual(['payments']);
    const volume = (await get('/logs/volume?from=2000-01-01&step=1d')).body;
    const counted = volume.buckets.reduce((n: number, b: { counts: Record<string, number> }) => n + Object.values(b.counts).reduce((a, c) => a + c, 0), 0);
    expect(counted).toBe(1);
    const hosts = (await get('/hosts')).body.data.map((h: { host: string }) => h.host);
    expect(hosts).toEqual(['shared-host']);
    expect((await get('/hosts/auth-only-host')).status).toBe(404);
    const files = (await get('/hosts/shared-host/files')).body.data.map((f: { filename: string }) => f.filename);
    expect(files).toEqual(['/var/log/pay.log']);
  });

  it('query scope - a live tail (history replay and live) carries only the token\'s services', async () => {
    const first = (await get('/logs?order=asc', ADMIN)).body.logs[0].id;
    const tail = await openTail(hub.wsUrl, { after: first }, PAY, { viaQuery: true });
    const live = await openTail(hub.wsUrl, { service: 'auth' }, PAY);
    await postLogs(hub.url, ADMIN, [{ service: 'auth', message: 'secret live' }, { service: 'payments', message: 'pay live' }]);
    await tail.waitRecords(1);
    await postLogs(hub.url, ADMIN, [{ service: 'payments', message: 'pay live 2' }]);
    await tail.waitRecords(2);
    expect(tail.records.map((r) => r.message)).toEqual(['pay live', 'pay live 2']);
    expect(live.records).toEqual([]);
    await tail.close();
    await live.close();
  });
});
