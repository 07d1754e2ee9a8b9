/**
 * The reference documents' requests, sent verbatim with the real curl binary (only host and port
 * changed), to prove their existing clients work unchanged against logwire.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { startQueryHub } from './setup.js';

const run = promisify(execFile);
let hub: TestHub;
let base: string;

/** Runs curl with the document's arguments, base URL swapped; returns status and parsed JSON body. */
async function curl(...args: string[]): Promise<{ status: number; body: any }> {
  const swapped = args.map((x) => x.replace(/^http:\/\/(localhost:5000|127\.0\.0\.1:3032)/, base));
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...swapped]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
}

beforeAll(async () => {
  hub = await startQueryHub();
  base = `http://localhost:${hub.port}`;
});
afterAll(() => hub?.close());

describe('query/reference', () => {
  it('query/reference - 001: POST one log, a batch, then query, stats and delete as documented', async () => {
    const one = await curl('-X', 'POST', 'http://localhost:5000/logs',
      '-H', 'Authorization: Token auth-service-token-001',
      '-H', 'Content-Type: application/json',
      '-d', '{"timestamp":"2025-04-01T10:00:00","service":"auth-service","severity":"INFO","message":"User login successful"}');
    expect(one.status).toBe(201);
    expect(one.body.message).toBe('Log(s) saved successfully');

    const single = await curl('-X', 'POST', 'http://localhost:5000/logs',
      '-H', 'Authorization: Token auth-service-token-001', '-H', 'Content-Type: application/json',
      '-d', JSON.stringify({ timestamp: '2025-04-01T12:00:00', service: 'auth-service', severity: 'ERROR', message: 'Failed login attempt for user ghost@example.com' }));
    expect(single.status).toBe(201);
    const batch = await curl('-X', 'POST', 'http://localhost:5000/logs',
      '-H', 'Authorization: Token auth-service-token-001', '-H', 'Content-Type: application/json',
      '-d', JSON.stringify([
        { timestamp: '2025-04-01T12:00:00', service: 'auth-service', severity: 'INFO', message: 'User logged in successfully' },
        { timestamp: '2025-04-01T12:00:05', service: 'auth-service', severity: 'DEBUG', message: 'Session token generated' },
      ]));
    expect(batch.body.saved).toBe(2);
    const pay = await curl('-X', 'POST', 'http://localhost:5000/logs',
      '-H', 'Authorization: Token payment-service-token-002', '-H', 'Content-Type: application/json',
      '-d', JSON.stringify({ timestamp: '2024-12-31T23:59:59', service: 'payment-service', severity: 'WARNING', message: 'Transaction timeout for order #8821 — retrying...' }));
    expect(pay.status).toBe(201);

    const errors = await curl('-H', 'Authorization: Token auth-service-token-001', 'http://localhost:5000/logs?severity=ERROR&service=auth-service');
    expect(errors.status).toBe(200);
    expect(errors.body.count).toBe(1);
    expect(errors.body.logs[0]).toMatchObject({
      timestamp: '2025-04-01T12:00:00.000Z',
      service: 'auth-service',
      severity: 'ERROR',
      message: 'Failed login attempt for user ghost@example.com',
      received_at: expect.any(String),
      id: expect.any(String),
    });
    const allErrors = await curl('-H', 'Authorization: Token auth-service-token-001', 'http://localhost:5000/logs?severity=ERROR');
    expect(allErrors.body.count).toBe(1);

    const filtered = await curl('-H', 'Authorization: Token auth-service-token-001',
      'http://localhost:5000/logs?timestamp_start=2025-04-01T11:00:00&timestamp_end=2025-04-01T12:00:00&received_at_start=2020-01-01T00:00:00&severity=INFO');
    expect(filtered.body.logs.map((l: { message: string }) => l.message)).toEqual(['User logged in successfully']);

    const stats = await curl('-H', 'Authorization: Token auth-service-token-001', 'http://localhost:5000/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      total: 5,
      logs_per_service: { 'auth-service': 4, 'payment-service': 1 },
      logs_per_severity: { DEBUG: 1, INFO: 2, WARN: 1, ERROR: 1 },
      last_log_per_service: { 'auth-service': '2025-04-01T12:00:05.000Z', 'payment-service': '2024-12-31T23:59:59.000Z' },
    });

    const del = await curl('-X', 'DELETE', '-H', 'Authorization: Token auth-service-token-001', 'http://localhost:5000/logs?before=2025-01-01T00:00:00');
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted: 1, message: '1 log(s) deleted' });

    const who = await curl('-H', 'Authorization: Token nobody', 'http://localhost:5000/logs');
    expect(who.status).toBe(401);
    expect(typeof who.body.error).toBe('string');
  });

  it('query/reference - 000: a record without a service takes the token\'s service; GET /logs lists it', async () => {
    const r = await curl('-X', 'POST', 'http://localhost:5000/logs', '-H', 'Authorization: Token TOKEN_SERVICIO_A', '-H', 'Content-Type: application/json',
      '-d', '{"severity": "ERROR", "message": "Falló el pago"}');
    expect(r.status).toBe(201);
    const list = await curl('-H', 'Authorization: Token TOKEN_SERVICIO_A', 'http://localhost:5000/logs?service=servicio-a');
    expect(list.body.count).toBe(1);
    expect(list.body.logs[0]).toMatchObject({ service: 'servicio-a', severity: 'ERROR', message: 'Falló el pago' });
  });

  it('query/reference - 003: POST a JSON entry, then GET /logs/<service>?limit=', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await curl('-X', 'POST', 'http://localhost:5000/logs', '-H', 'Authorization: Token notification-service-token-003', '-H', 'Content-Type: application/json',
        '-d', JSON.stringify({ service: 'notification-service', level: 'info', message: `notification ${i}` }));
      expect(r.status).toBe(201);
    }
    const r = await curl('-H', 'Authorization: Token notification-service-token-003', 'http://localhost:5000/logs/notification-service?limit=2');
    expect(r.status).toBe(200);
    expect(r.body.service).toBe('notification-service');
    expect(r.body.count).toBe(2);
    expect(r.body.logs.map((l: { message: string }) => l.message)).toEqual(['notification 1', 'notification 2']);
    const none = await curl('-H', 'Authorization: Token notification-service-token-003', 'http://localhost:5000/logs/never-heard-of-it');
    expect(none.body).toEqual({ service: 'never-heard-of-it', count: 0, logs: [] });
  });

  it('query/reference - 004: /hosts/, /hosts/<host>/, /hosts/<host>/logs?file=&filter=&count= with "bearer SECRETCODE"', async () => {
    const lines = [
      { hostname: 'andynewman', filename: 'fsck_apfs_error.log', logline: 'fsck_apfs completed at Tue Dec 14 07:59:50 2021', timestamp: 1639596366.621 },
      { hostname: 'andynewman', filename: 'syslog', logline: 'Line one', timestamp: 1639508052.062 },
      { hostname: 'andynewman', filename: 'syslog', logline: 'line three', timestamp: 1639508053.062 },
      { hostname: 'andynewman', filename: 'other_log', logline: 'three log lines', timestamp: 1639525487.506 },
      { hostname: 'othersystem', filename: 'syslog', logline: 'elsewhere', timestamp: 1639525487.506 },
    ];
    const post = await curl('-X', 'POST', 'http://127.0.0.1:3032/logs', '-H', 'Authorization: bearer SECRETCODE', '-H', 'Content-Type: application/json', '-d', JSON.stringify(lines));
    expect(post.body.saved).toBe(5);

    const hosts = await curl('-H', 'Authorization: bearer SECRETCODE', 'http://127.0.0.1:3032/hosts/');
    expect(hosts.body).toEqual({
      data: [
        { host: 'andynewman', url: `${base}/hosts/andynewman/` },
        { host: 'othersystem', url: `${base}/hosts/othersystem/` },
      ],
    });
    const files = await curl('-H', 'Authorization: bearer SECRETCODE', 'http://127.0.0.1:3032/hosts/andynewman/');
    expect(files.body.data).toEqual([
      { filename: 'fsck_apfs_error.log', host: 'andynewman', url: `${base}/hosts/andynewman/logs?file=fsck_apfs_error.log` },
      { filename: 'other_log', host: 'andynewman', url: `${base}/hosts/andynewman/logs?file=other_log` },
      { filename: 'syslog', host: 'andynewman', url: `${base}/hosts/andynewman/logs?file=syslog` },
    ]);
    const fileList = await curl('-H', 'Authorization: bearer SECRETCODE', 'http://127.0.0.1:3032/hosts/andynewman/files/');
    expect(fileList.body).toEqual(files.body);

    const all = await curl('-H', 'Authorization: bearer SECRETCODE', 'http://127.0.0.1:3032/hosts/andynewman/logs');
    expect(all.body.data).toHaveLength(4);
    // Newest event time first, as in the reference's example answer.
    expect(all.body.data[0]).toMatchObject({ filename: 'fsck_apfs_error.log', last_modified: '1639596366.621', logline: 'fsck_apfs completed at Tue Dec 14 07:59:50 2021', host: 'andynewman' });
    expect(all.body.data[1]).toMatchObject({ filename: 'other_log', last_modified: '1639525487.506', logline: 'three log lines' });

    const some = await curl('-H', 'Authorization: bearer SECRETCODE', 'http://127.0.0.1:3032/hosts/andynewman/logs?file=syslog&filter=three&count=2');
    expect(some.body.data.map((d: { filename: string; logline: string }) => [d.filename, d.logline])).toEqual([['syslog', 'line three']]);
    const two = await curl('-H', 'Authorization: bearer SECRETCODE', 'http://127.0.0.1:3032/hosts/andynewman/logs?filter=three&count=2');
    expect(two.body.data.map((d: { logline: string }) => d.logline)).toEqual(['three log lines', 'line three']);
  });
});
