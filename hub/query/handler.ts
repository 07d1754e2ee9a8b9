/**
 * The envelope every §5 read endpoint runs in: copy the request synchronously, watch for the
 * client going away before any await, authenticate, run the handler, and turn anything thrown
 * into the JSON error shape `{"error","code","param"?}`. Also counts requests by route and status.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { HubContext } from '../context.js';
import type { Principal, Scope } from '../auth/tokens.js';
import { authenticate } from '../auth/authenticate.js';
import { toHubError } from '../errors.js';
import type { Aborted, RequestInfo } from '../http/request.js';
import { readRequest, watchAborted } from '../http/request.js';
import { send, sendError, sendJson } from '../http/respond.js';
import { scopedContext } from './scoped-context.js';

/** What a handler gets: the copied request, the live response, and helpers bound to both. */
export interface QueryCall {
  hub: HubContext;
  res: HttpResponse;
  req: RequestInfo;
  aborted: Aborted;
  principal: Principal;
  /** Sends a JSON body and records the status for metrics. */
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  /** Sends an already-serialised body (hot paths build JSON text directly). */
  text(status: number, body: string, contentType?: string): void;
  /** Records a status for a response the handler writes itself (streaming). */
  markStatus(status: number): void;
}

export type QueryHandler = (call: QueryCall) => void | Promise<void>;

export interface QueryRoute {
  /** uWS method name. */
  method: 'get' | 'del';
  /** uWS pattern, e.g. `/hosts/:host/files`. */
  pattern: string;
  scope: Scope;
  handler: QueryHandler;
}

/**
 * Runs `route` for a request. `params` overrides the uWS path parameters (the catch-all router
 * resolves trailing-slash paths itself).
 */
export function runRoute(ctx: HubContext, route: QueryRoute, res: HttpResponse, rawReq: HttpRequest, params?: string[]): void {
  const aborted = watchAborted(res);
  const req = readRequest(rawReq, params ? 0 : paramCount(route.pattern));
  if (params) req.params = params;
  let status = 0;
  const record = (s: number): void => {
    if (status !== 0) return;
    status = s;
    ctx.metrics.httpRequests.inc({ route: route.pattern, status: String(s) });
  };
  const fail = (err: unknown): void => {
    const e = toHubError(err);
    if (e.status >= 500) ctx.log.error({ err: (err as Error)?.cause ?? err, route: route.pattern }, 'query failed');
    record(e.status || 500);
    sendError(res, aborted, e);
  };
  let principal: Principal;
  try {
    // The token travels in Authorization only: `token=` is for the live-tail WebSocket (docs/tokens.md).
    principal = authenticate(ctx.tokens, req.authorization, null, route.scope);
  } catch (err) {
    fail(err);
    return;
  }
  const call: QueryCall = {
    hub: scopedContext(ctx, principal),
    res,
    req,
    aborted,
    principal,
    json(s, body, headers) {
      record(s);
      sendJson(res, aborted, s, body, headers);
    },
    text(s, body, contentType = 'application/json') {
      record(s);
      send(res, aborted, s, contentType, body);
    },
    markStatus: record,
  };
  try {
    const p = route.handler(call);
    if (p) p.catch(fail);
  } catch (err) {
    fail(err);
  }
}

function paramCount(pattern: string): number {
  let n = 0;
  for (const seg of pattern.split('/')) if (seg.startsWith(':')) n++;
  return n;
}

/** Absolute base URL for links in responses, from the request's Host header. */
export function baseUrl(call: QueryCall): string {
  const cfg = call.hub.config;
  const scheme = cfg.tlsCert ? 'https' : 'http';
  const host = call.req.host !== '' ? call.req.host : `${cfg.host}:${cfg.port}`;
  return `${scheme}://${host}`;
}
