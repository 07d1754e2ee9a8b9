/**
 * The hub serves the web page: redirects, content types, caching, security headers, and no
 * way out of the page's own files (raw request paths, so nothing normalises `..` first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, startTestHub, type TestHub } from '../../helpers/hub.js';

let hub: TestHub;
beforeAll(async () => { hub = await startTestHub(); });
afterAll(async () => { await hub?.close(); });

interface RawAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** GET with the path sent exactly as given. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: hub.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ui/routes', () => {
  it('ui/routes - GET / redirects to /ui/, keeping the query', async () => {
    const root = await rawGet('/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/ui/');
    expect((await rawGet('/?view=history&q=x')).headers.location).toBe('/ui/?view=history&q=x');
    expect((await rawGet('/ui')).headers.location).toBe('/ui/');
  });

  it('ui/routes - serves the page, its script and style with their content types and a strict CSP', async () => {
    const page = await rawGet('/ui/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('js/main.js');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const js = await rawGet('/ui/js/main.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await rawGet('/ui/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await rawGet('/ui/index.html')).body).toBe(page.body);
    // Every module is preloaded (one round of requests, not one per import level), and exists.
    const preloaded = [...page.body.matchAll(/rel="modulepreload" href="(js\/[\w-]+\.js)"/g)].map((m) => m[1]);
    const built = readdirSync(join(REPO_ROOT, 'dist', 'ui', 'js')).filter((f) => f.endsWith('.js') && f !== 'main.js').map((f) => `js/${f}`);
    expect(preloaded.sort()).toEqual(built.sort());
    for (const path of preloaded) expect((await rawGet(`/ui/${path}`)).status, path).toBe(200);
  });

  it('ui/routes - revalidates with ETag: 304 without a body when unchanged', async () => {
    const first = await rawGet('/ui/js/main.js');
    expect(first.headers['cache-control']).toBe('no-cache');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await rawGet('/ui/js/main.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expect((await rawGet('/ui/js/main.js', { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('ui/routes - no request path reaches a file outside the page', async () => {
    const attempts = [
      '/ui/../package.json', '/ui/../../package.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/js/..%2f..%2f..%2fpackage.json',
      '/ui/..%5c..%5cpackage.json', '/ui/js/%2e%2e/%2e%2e/%2e%2e/hub/app.ts', '/ui//etc/passwd', '/ui/%2fetc%2fpasswd',
      '/ui/js/main.js%00.css', '/ui/./index.html', '/ui/%E0%A4%A', '/ui/admin.token', '/ui/../admin.token',
    ];
    for (const path of attempts) {
      const r = await rawGet(path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('"name": "logwire"');
      expect(r.body, path).not.toContain('root:');
      expect(JSON.parse(r.body).code, path).toBe('HUB_ERR_NOT_FOUND');
    }
  });

  it('ui/routes - an unknown file is a JSON 404; the API is unaffected', async () => {
    const r = await rawGet('/ui/nope.js');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).error).toContain('/ui/nope.js');
    expect((await rawGet('/stats')).status).toBe(401);
    expect((await rawGet('/nothing-here')).status).toBe(404);
  });
});

describe('ui/routes unbuilt', () => {
  it('ui/routes - a hub whose page was not built answers 503 saying how to build it', async () => {
    const { default: uWS } = await import('uWebSockets.js');
    const { registerUiRoutes } = await import('../../../hub/ui/routes.js');
    const { createMetrics } = await import('../../../hub/metrics.js');
    const { tempDir } = await import('../../helpers/hub.js');
    const app = uWS.App();
    registerUiRoutes(app, { metrics: createMetrics() } as never, join(tempDir(), 'no-ui'));
    const socket = await new Promise<uWS.us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen failed')))));
    try {
      const res = await fetch(`http://127.0.0.1:${uWS.us_socket_local_port(socket)}/ui/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build');
    } finally {
      uWS.us_listen_socket_close(socket);
    }
  });
});
