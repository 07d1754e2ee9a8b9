/**
 * Turns an `Authorization` header (`Bearer <t>`, `Token <t>`, or Basic with the token as password;
 * scheme case-insensitive) or a
 * `token=` query parameter into a Principal, or a 401/403 HubError. `admin` implies every scope.
 */
import { HubError } from '../errors.js';
import type { Principal, Scope, TokenRegistry } from './tokens.js';

export function tokenFromHeader(header: string): string | undefined {
  const m = /^\s*(bearer|token|basic)\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  return m[1].toLowerCase() === 'basic' ? basicPassword(m[2]) : m[2];
}

/** HTTP Basic auth (Loki, Elasticsearch and OTLP clients): any user name, the token as password. */
function basicPassword(b64: string): string | undefined {
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}

export function authenticate(registry: TokenRegistry, header: string, queryToken: string | null | undefined, scope: Scope): Principal {
  const token = tokenFromHeader(header) ?? (queryToken || undefined);
  if (token === undefined) {
    const why = header.trim() === '' ? 'no token given' : 'the Authorization header must be "Bearer <token>", "Token <token>" or Basic with the token as password';
    throw new HubError('HUB_ERR_UNAUTHORIZED', `${why}; send a token from the hub's tokens file (or data/admin.token)`);
  }
  const principal = registry.lookup(token);
  if (!principal) throw new HubError('HUB_ERR_UNAUTHORIZED', 'unknown token; check the token against the hub\'s tokens file (or data/admin.token)');
  if (!principal.scopes.has(scope) && !principal.scopes.has('admin')) {
    throw new HubError('HUB_ERR_FORBIDDEN', `token "${principal.name}" lacks the "${scope}" scope needed here`);
  }
  return principal;
}
