/**
 * Authenticated WebSocket upgrades (ingest and live tail): copy what the request holds
 * synchronously, check the token (Authorization header, or `token=` for browsers), then either
 * answer 401/403 with the usual JSON error before any upgrade, or upgrade with per-socket data.
 */
import type { HttpRequest, HttpResponse, us_socket_context_t } from 'uWebSockets.js';
import { authenticate } from '../auth/authenticate.js';
import type { Principal, Scope, TokenRegistry } from '../auth/tokens.js';
import { sendError } from './respond.js';

export function upgradeAuthenticated<UserData>(
  res: HttpResponse,
  req: HttpRequest,
  context: us_socket_context_t,
  tokens: TokenRegistry,
  scope: Scope,
  userData: (principal: Principal, query: URLSearchParams) => UserData,
): void {
  const query = new URLSearchParams(req.getQuery() ?? '');
  const authorization = req.getHeader('authorization');
  const key = req.getHeader('sec-websocket-key');
  const protocol = req.getHeader('sec-websocket-protocol');
  const extensions = req.getHeader('sec-websocket-extensions');
  // Nothing below awaits, so the response cannot be aborted underneath us.
  const notAborted = { aborted: false, onAbort: () => undefined };
  let principal: Principal;
  try {
    // `token=` in the URL is for browsers on the live tail alone (docs/tokens.md); URLs end up in logs.
    principal = authenticate(tokens, authorization, scope === 'read' ? query.get('token') : null, scope);
  } catch (err) {
    sendError(res, notAborted, err);
    return;
  }
  const data = userData(principal, query);
  res.cork(() => res.upgrade(data, key, protocol, extensions, context));
}
