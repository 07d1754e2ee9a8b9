import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { startQueryHub, TOKENS } from './setup.js';

let hub: TestHub;

async function call(method: string, path: string, authorization?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(`${hub.url}${path}`, { method, headers });
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = await res.json();
  expect(typeof body.error).toBe('string');
  expect(body.code).toMatch(/^HUB_ERR_[A-Z_]+$/);
  return { status: res.status, body, headers: res.headers };
}

const READ_ENDPOINTS = ['/logs', '/logs/auth-service', '/stats', '/hosts', '/hosts/web-1', '/hosts/web-1/files', '/hosts/web-1/logs'];

beforeAll(async () => {
  hub = await startQueryHub();
});
afterAll(() => hub?.close());

describe('query/errors', () => {
  it('query/errors - 401 without a token, with an unknown one, or with an unknown scheme', async () => {
    for (const path of READ_ENDPOINTS) {
      for (const auth of [undefined, 'Bearer wrong-token', 'Token wrong-token', `Basic ${TOKENS.read}`]) {
        const r = await call('GET', path, auth);
        expect(r.status, `${path} ${auth}`).toBe(401);
        expect(r.body.code).toBe('HUB_ERR_UNAUTHORIZED');
        expect(r.headers.get('www-authenticate')).toContain('Bearer');
      }
    }
    expect((await call('DELETE', '/logs?before=1d')).status).toBe(401);
    // Authentication comes before parameter checks: nothing is revealed to strangers.
    expect((await call('GET', '/logs?severity=LOUD')).status).toBe(401);
  });

  it('query/errors - 403 for a token without the scope', async () => {
    for (const path of READ_ENDPOINTS) {
      const r = await call('GET', path, `Bearer ${TOKENS.ingest}`);
      expect(r.status, path).toBe(403);
      expect(r.body.code).toBe('HUB_ERR_FORBIDDEN');
    }
    expect((await call('DELETE', '/logs?before=1d', `Bearer ${TOKENS.read}`)).status).toBe(403);
    expect((await call('DELETE', '/logs?before=1d', 'Token payment-service-token-002')).status).toBe(403);
  });

  it('query/errors - 404 JSON for unknown paths, with or without a token', async () => {
    for (const path of ['/nope', '/logs/a/b', '/log', '/hosts//files', '/hosts/web-1/nope', '/v2/logs']) {
      for (const auth of [undefined, `Bearer ${TOKENS.admin}`]) {
        const r = await call('GET', path, auth);
        expect(r.status, path).toBe(404);
        expect(r.body.code).toBe('HUB_ERR_NOT_FOUND');
      }
    }
    const host = await call('GET', '/hosts/unknown-host', `Bearer ${TOKENS.read}`);
    expect(host.status).toBe(404);
    expect(host.body.error).toContain('unknown-host');
  });

  it('query/errors - 405 with Allow for a known path and the wrong method', async () => {
    const cases: Array<[string, string, string]> = [
      ['PUT', '/logs', 'DELETE, GET, POST'],
      ['PATCH', '/logs/', 'DELETE, GET, POST'],
      ['POST', '/logs/auth-service', 'GET'],
      ['DELETE', '/logs/auth-service', 'GET'],
      ['POST', '/stats', 'GET'],
      ['DELETE', '/hosts', 'GET'],
      ['PUT', '/hosts/web-1/logs', 'GET'],
      ['POST', '/health', 'GET'],
      ['DELETE', '/metrics', 'GET'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await call(method, path, `Bearer ${TOKENS.admin}`);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.body.code).toBe('HUB_ERR_METHOD_NOT_ALLOWED');
      expect(r.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
  });

  it('query/errors - a plain request to a WebSocket endpoint is 426 (GET) or 405', async () => {
    for (const path of ['/v1/ingest', '/v1/tail']) {
      const r = await call('GET', path, `Bearer ${TOKENS.admin}`);
      expect(r.status, path).toBe(426);
      expect(r.body.code).toBe('HUB_ERR_UPGRADE_REQUIRED');
      expect(r.headers.get('upgrade')).toBe('websocket');
      const p = await call('POST', path, `Bearer ${TOKENS.admin}`);
      expect(p.status, path).toBe(405);
      expect(p.headers.get('allow')).toBe('GET');
    }
  });

  it('query/errors - 400s name the parameter in error, code and param', async () => {
    const r = await call('GET', '/logs?severity=LOUD', `Bearer ${TOKENS.read}`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: expect.stringContaining('LOUD'), code: 'HUB_ERR_BAD_PARAM', param: 'severity' });
  });

  it('query/errors - hostile input never crashes the hub', async () => {
    const nasty = ['%', '%zz', '%00', '\u0000', '日本語', 'a'.repeat(5000), '../../etc/passwd', '[', '{"$gt":""}'];
    for (const v of nasty) {
      const enc = encodeURIComponent(v);
      for (const path of [`/logs?service=${enc}`, `/logs?q=${enc}`, `/logs?regex=${enc}`, `/logs?cursor=${enc}`, `/logs/${enc}`, `/hosts/${enc}/logs?filter=${enc}`, `/logs?from=${enc}`]) {
        const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${TOKENS.read}` } });
        expect([200, 400, 404], path).toContain(res.status);
        await res.arrayBuffer();
      }
    }
    const raw = await fetch(`${hub.url}/logs?service=%&q=%zz`, { headers: { authorization: `Bearer ${TOKENS.read}` } });
    expect([200, 400]).toContain(raw.status);
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
  });
});
