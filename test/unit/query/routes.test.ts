import { describe, expect, it } from 'vitest';
import type { QueryRoute } from '../../../hub/query/handler.js';
import { resolvePath } from '../../../hub/query/http.js';

const noop = (): void => undefined;
const routes: QueryRoute[] = [
  { method: 'get', pattern: '/logs', scope: 'read', handler: noop },
  { method: 'get', pattern: '/logs/:service', scope: 'read', handler: noop },
  { method: 'del', pattern: '/logs', scope: 'admin', handler: noop },
  { method: 'get', pattern: '/hosts/:host/files', scope: 'read', handler: noop },
];

describe('query/routes', () => {
  it('query/routes - trailing slashes resolve to the same route', () => {
    expect(resolvePath(routes, 'GET', '/logs/').route?.pattern).toBe('/logs');
    const svc = resolvePath(routes, 'GET', '/logs/auth-service/');
    expect(svc.route?.pattern).toBe('/logs/:service');
    expect(svc.params).toEqual(['auth-service']);
    expect(resolvePath(routes, 'GET', '/hosts/a%20b/files/').params).toEqual(['a b']);
  });

  it('query/routes - a known path with another method lists the allowed ones', () => {
    const r = resolvePath(routes, 'PUT', '/logs');
    expect(r.route).toBeUndefined();
    expect(r.allow).toEqual(['DELETE', 'GET', 'POST']);
    expect(resolvePath(routes, 'POST', '/health').allow).toEqual(['GET']);
    expect(resolvePath(routes, 'DELETE', '/logs/x').allow).toEqual(['GET']);
  });

  it('query/routes - unknown paths match nothing', () => {
    for (const p of ['/', '/nope', '/logs/a/b', '/hosts//files', '/hosts/x/nope']) {
      const r = resolvePath(routes, 'GET', p);
      expect(r.route).toBeUndefined();
      expect(r.allow).toEqual([]);
    }
  });
});
