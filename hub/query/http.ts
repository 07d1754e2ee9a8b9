/**
 * The read/admin HTTP API (docs/http-api.md): GET /logs, /logs/volume, /logs/:service, DELETE /logs, GET /stats and the
 * /hosts family, plus the hub-wide fallbacks — 405 (with `Allow`) for a known path with the
 * wrong method and 404 for everything else — registered as the catch-all `any('/*')`.
 *
 * uWS routes `/logs/` and `/hosts/x/` (trailing slash; the reference clients use those) to the
 * catch-all, so it resolves paths against the same route table before deciding 404/405.
 * Other modules' paths (KNOWN_ELSEWHERE) are listed so a wrong method there is a 405 too.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { HubContext, RouteModule } from '../context.js';
import { HubError } from '../errors.js';
import { watchAborted } from '../http/request.js';
import { sendError, sendJson } from '../http/respond.js';
import { runRoute, type QueryRoute } from './handler.js';
import { hostsRoutes } from './hosts-routes.js';
import { createIngestRateMeter } from './ingest-rate.js';
import { logsRoutes } from './logs-routes.js';
import { statsRoutes } from './stats-routes.js';
import { volumeRoutes } from './volume-routes.js';

/** Paths other modules serve (app.ts wiring), with their methods, for 405 answers. */
const KNOWN_ELSEWHERE: Array<[string, string[]]> = [
  ['/logs', ['POST']],
  ['/health', ['GET']],
  ['/metrics', ['GET']],
  ['/loki/api/v1/push', ['POST']],
  ['/v1/logs', ['POST']],
  ['/_bulk', ['POST', 'PUT']],
];

/**
 * WebSocket endpoints: uWS routes only upgrade requests to them, so a plain GET lands here and
 * gets 426 rather than a contradictory "405, use GET".
 */
const WEBSOCKET_PATHS = new Set(['/v1/ingest', '/v1/tail']);

const HTTP_METHOD: Record<QueryRoute['method'], string> = { get: 'GET', del: 'DELETE' };

interface Resolved {
  route?: QueryRoute;
  params: string[];
  allow: string[];
}

/** Matches `path` (no query, trailing slashes ignored) against the route table. */
export function resolvePath(routes: QueryRoute[], method: string, rawPath: string): Resolved {
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  const segs = path.split('/');
  const allow = new Set<string>();
  let found: Resolved | undefined;
  const tryPattern = (pattern: string): string[] | undefined => {
    const pat = pattern.split('/');
    if (pat.length !== segs.length) return undefined;
    const params: string[] = [];
    for (let i = 0; i < pat.length; i++) {
      if (pat[i].startsWith(':')) {
        if (segs[i] === '') return undefined;
        params.push(safeDecode(segs[i]));
      } else if (pat[i] !== segs[i]) return undefined;
    }
    return params;
  };
  for (const r of routes) {
    const params = tryPattern(r.pattern);
    if (!params) continue;
    allow.add(HTTP_METHOD[r.method]);
    if (!found && HTTP_METHOD[r.method] === method) found = { route: r, params, allow: [] };
  }
  for (const [pattern, methods] of KNOWN_ELSEWHERE) if (tryPattern(pattern)) for (const m of methods) allow.add(m);
  return { route: found?.route, params: found?.params ?? [], allow: [...allow].sort() };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function fallback(ctx: HubContext, routes: QueryRoute[], res: HttpResponse, req: HttpRequest): void {
  const method = req.getCaseSensitiveMethod().toUpperCase();
  const path = req.getUrl();
  const hit = resolvePath(routes, method, path);
  if (hit.route) {
    runRoute(ctx, hit.route, res, req, hit.params);
    return;
  }
  const aborted = watchAborted(res);
  const bare = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (WEBSOCKET_PATHS.has(bare)) {
    const status = method === 'GET' ? 426 : 405;
    ctx.metrics.httpRequests.inc({ route: 'unmatched', status: String(status) });
    const err = method === 'GET'
      ? new HubError('HUB_ERR_UPGRADE_REQUIRED', `${bare} is a WebSocket endpoint; connect with a WebSocket client (ws://host${bare})`)
      : new HubError('HUB_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${bare}; open a WebSocket (GET with Upgrade)`);
    sendJson(res, aborted, status, err.toJSON(), method === 'GET' ? { upgrade: 'websocket' } : { allow: 'GET' });
    return;
  }
  if (hit.allow.length > 0) {
    ctx.metrics.httpRequests.inc({ route: 'unmatched', status: '405' });
    const err = new HubError('HUB_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${hit.allow.join(' or ')}`);
    sendJson(res, aborted, err.status, err.toJSON(), { allow: hit.allow.join(', ') });
    return;
  }
  ctx.metrics.httpRequests.inc({ route: 'unmatched', status: '404' });
  sendError(res, aborted, new HubError('HUB_ERR_NOT_FOUND', `no endpoint ${method} ${path}; see the HTTP API in the README`));
}

/** Registers the query API and the hub-wide 404/405 catch-all. */
export const registerQueryRoutes: RouteModule = (app: TemplatedApp, ctx: HubContext) => {
  const meter = createIngestRateMeter(async () => {
    const m = await ctx.metrics.ingestRecords.get();
    let total = 0;
    for (const v of m.values) total += v.value;
    return total;
  });
  ctx.onClose(() => meter.close());

  const routes: QueryRoute[] = [...volumeRoutes, ...logsRoutes, ...statsRoutes(meter), ...hostsRoutes];
  for (const route of routes) {
    app[route.method](route.pattern, (res, req) => runRoute(ctx, route, res, req));
  }
  app.any('/*', (res, req) => fallback(ctx, routes, res, req));
};
