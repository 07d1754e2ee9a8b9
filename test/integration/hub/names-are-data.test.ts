/**
 * Names are data (docs/guarantees.md): service, host, file, field and token names such as `__proto__`,
 * `constructor` and `hasOwnProperty` are stored, counted, queried and survive a restart like any
 * other name. Runs the real hub process, so a crash shows as a dead process, not a failed call.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnHub, tempDir, writeTokensFile, type HubProcess } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';
import { openTail } from '../live/tail-client.js';

const NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__'];
const ADMIN = 'admin-token-names';
const SCOPED = 'scoped-token-names';

let dir: string;
let proc: HubProcess;

async function start(): Promise<void> {
  proc = await spawnHub(['--port', '0', '--data', dir, '--tokens', join(dir, 'tokens.json')]);
}

async function get(path: string, token = ADMIN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${proc.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

async function checkEverythingReads(expectedPerName: number): Promise<void> {
  const stats = await get('/stats');
  expect(stats.status).toBe(200);
  for (const n of NAMES) {
    expect(Object.getOwnPropertyDescriptor(stats.body.logs_per_service, n)?.value, `stats ${n}`).toBe(expectedPerName);
    expect(typeof Object.getOwnPropertyDescriptor(stats.body.last_log_per_service, n)?.value).toBe('string');
  }
  const all = await get('/logs?limit=10000');
  expect(all.status).toBe(200);
  expect(all.body.count).toBe(NAMES.length * expectedPerName);
  for (const n of NAMES) {
    const bySvc = await get(`/logs?service=${encodeURIComponent(n)}`);
    expect(bySvc.body.count, `GET /logs?service=${n}`).toBe(expectedPerName);
    const path = await get(`/logs/${encodeURIComponent(n)}`);
    expect(path.body.count, `GET /logs/${n}`).toBe(expectedPerName);
    const host = await get(`/hosts/${encodeURIComponent(n)}`);
    expect(host.status, `/hosts/${n}`).toBe(200);
    const files = await get(`/hosts/${encodeURIComponent(n)}/files`);
    expect(files.status).toBe(200);
    expect(JSON.stringify(files.body)).toContain(n);
    const hostLogs = await get(`/hosts/${encodeURIComponent(n)}/logs`);
    expect(hostLogs.status).toBe(200);
    expect(hostLogs.body.count ?? hostLogs.body.data?.length ?? hostLogs.body.logs?.length).toBeGreaterThan(0);
  }
  const hosts = await get('/hosts');
  expect(hosts.status).toBe(200);
  const listed = JSON.stringify(hosts.body);
  for (const n of NAMES) expect(listed).toContain(`"${n}"`);
  // Field names come back as they were sent.
  const one = await get('/logs?service=constructor&limit=1');
  const fields = one.body.logs[0].fields;
  for (const n of NAMES) expect(Object.getOwnPropertyDescriptor(fields, n)?.value, `field ${n}`).toBe(`v-${n}`);
  expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
}

beforeAll(async () => {
  dir = tempDir();
  mkdirSync(dir, { recursive: true });
  writeTokensFile(dir, [
    { token: ADMIN, name: '__proto__', scopes: ['ingest', 'read', 'admin'] },
    { token: SCOPED, name: 'constructor', scopes: ['ingest', 'read'], services: ['__proto__', 'hasOwnProperty'] },
  ]);
  await start();
}, 30_000);
afterAll(() => proc?.kill());

describe('names are data (hub process)', () => {
  it('names - __proto__, constructor, hasOwnProperty… as service, host, file and field names', async () => {
    const tail = await openTail(proc.wsUrl, { service: '__proto__' }, ADMIN);
    const fieldsJson = `{${NAMES.map((n) => `"${n}": "v-${n}"`).join(', ')}}`;
    // Raw JSON text: a JS object literal could not even carry "__proto__" as a key.
    const body = `[${NAMES.map((n) => `{"service": "${n}", "host": "${n}", "file": "/var/log/${n}", "message": "hello ${n}", "fields": ${fieldsJson}}`).join(',')}]`;
    const res = await fetch(`${proc.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(201);
    expect((await res.json()).saved).toBe(NAMES.length);
    await tail.waitRecords(1);
    expect(tail.records[0].service).toBe('__proto__');
    await tail.close();

    // A WebSocket shipper after that: the connection that crashed the hub before.
    const c = await connectIngest(proc.wsUrl, ADMIN);
    await handshake(c, '__proto__', 'constructor');
    c.send({ type: 'batch', seq: 1, records: NAMES.map((n) => ({ service: n, host: n, file: `/var/log/${n}`, message: `ws ${n}`, fields: Object.fromEntries(NAMES.map((k) => [k, `v-${k}`])) })) });
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 1, stored: NAMES.length });
    c.close();
    await checkEverythingReads(2);
  });

  it('names - a token named constructor, bound to __proto__ and hasOwnProperty, writes and reads only those', async () => {
    const res = await fetch(`${proc.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${SCOPED}`, 'content-type': 'application/json' }, body: '[{"message": "no service"}, {"service": "toString", "message": "other"}]' });
    expect(res.status).toBe(201);
    const out = await res.json();
    expect(out.saved).toBe(1);
    expect(out.rejected).toEqual([{ index: 1, reason: 'forbidden_service' }]);
    const mine = await get('/logs?service=__proto__', SCOPED);
    expect(mine.body.count).toBe(3);
  });

  it('names - everything still reads after a kill -9 and a restart', async () => {
    await proc.kill();
    await start();
    const stats = await get('/stats');
    expect(stats.status).toBe(200);
    expect(Object.getOwnPropertyDescriptor(stats.body.logs_per_service, '__proto__')?.value).toBe(3);
    const c = await connectIngest(proc.wsUrl, ADMIN);
    const welcome = await handshake(c, '__proto__', 'constructor');
    expect(welcome.acked).toBe(1);
    c.close();
    expect((await get('/logs?service=constructor')).body.count).toBe(2);
  });
});
