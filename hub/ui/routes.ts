/**
 * Serves the hub's web page (docs/web-ui.md): `GET /` redirects to `/ui/`, `/ui` to `/ui/`, and
 * `/ui/*` answers from the files built into dist/ui/ (./static-files.ts). Registered before the
 * query API's catch-all, which answers 404/405 for everything else.
 *
 * Every answer carries a Content-Security-Policy that allows only this hub's own scripts, styles
 * and connections: the page renders log text as text, and the policy is a second wall.
 */
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { HubContext } from '../context.js';
import { HubError } from '../errors.js';
import { watchAborted } from '../http/request.js';
import { send, sendError, statusLine } from '../http/respond.js';
import { loadStaticFiles, staticKey, type StaticFile } from './static-files.js';

/**
 * dist/ui/, next to dist/hub/ where this module runs from; when run from source (tests import
 * hub/*.ts), the repository's dist/ui/ that `npm run build` wrote.
 */
export const DEFAULT_UI_DIR = import.meta.url.endsWith('.ts')
  ? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'ui')
  : join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function redirect(res: HttpResponse, location: string): void {
  res.cork(() => {
    res.writeStatus('302 Found').writeHeader('location', location).writeHeader('cache-control', 'no-cache').end();
  });
}

function serveFile(res: HttpResponse, file: StaticFile, ifNoneMatch: string): number {
  const notModified = ifNoneMatch !== '' && ifNoneMatch.split(',').some((t) => t.trim() === file.etag);
  res.cork(() => {
    res.writeStatus(statusLine(notModified ? 304 : 200));
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.writeHeader(k, v);
    res.writeHeader('etag', file.etag).writeHeader('cache-control', 'no-cache');
    if (notModified) res.endWithoutBody();
    else res.writeHeader('content-type', file.contentType).end(file.body);
  });
  return notModified ? 304 : 200;
}

export function registerUiRoutes(app: TemplatedApp, ctx: HubContext, uiDir = DEFAULT_UI_DIR): void {
  const files = loadStaticFiles(uiDir);
  const count = (status: number): void => ctx.metrics.httpRequests.inc({ route: '/ui/*', status: String(status) });

  app.get('/', (res, req) => {
    // Keep the query: a shared address like /?view=history&q=x lands on the same view.
    const query = req.getQuery();
    redirect(res, query ? `/ui/?${query}` : '/ui/');
  });
  app.get('/ui', (res, req) => {
    const query = req.getQuery();
    redirect(res, query ? `/ui/?${query}` : '/ui/');
  });
  app.get('/ui/*', (res, req) => {
    const aborted = watchAborted(res);
    const key = staticKey(req.getUrl().slice('/ui/'.length));
    const ifNoneMatch = req.getHeader('if-none-match');
    if (files.size === 0) {
      count(503);
      send(res, aborted, 503, 'text/plain; charset=utf-8', 'The web page was not built: run `npm run build` (npm ci does it), then restart the hub.\n');
      return;
    }
    const file = key === undefined ? undefined : files.get(key);
    if (!file) {
      count(404);
      sendError(res, aborted, new HubError('HUB_ERR_NOT_FOUND', `no file ${req.getUrl()} in the web page; open /ui/`));
      return;
    }
    count(serveFile(res, file, ifNoneMatch));
  });
}
