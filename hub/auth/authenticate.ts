/**
 * Turns an `Authorization` header (`Bearer <t>` or `Token <t>`, scheme case-insensitive) or a
 * `token=` query parameter into a Principal, or a 401/403 HubError. `admin` implies every scope.
 */
import { HubError } from '../errors.js';
import type { Principal, Scope, TokenRegistry } from './tokens.js';

export function tokenFromHeader(header: string): string | undefined {
  const m = /^\s*(bearer|token)\s+(\S+)\s*$/i.exec(header);
  return m ? m[2] : undefined;
}

export function authenticate(registry: TokenRegistry, header: string, queryToken: string | null | undefined, scope: Scope): Principal {
  const token = tokenFromHeader(header) ?? (queryToken || undefined);
  if (token === undefined) {
    const why = header.trim() === '' ? 'no token given' : 'the Authorization header must be "Bearer <token>" or "Token <token>"';
    throw new HubError('HUB_ERR_UNAUTHORIZED', `${why}; send a token from the hub's tokens file (or data/admin.token)`);
  }
  const principal = registry.lookup(token);
  if (!principal) throw new HubError('HUB_ERR_UNAUTHORIZED', 'unknown token; check the token against the hub\'s tokens file (or data/admin.token)');
  if (!principal.scopes.has(scope) && !principal.scopes.has('admin')) {
    throw new HubError('HUB_ERR_FORBIDDEN', `token "${principal.name}" lacks the "${scope}" scope needed here`);
  }
  return principal;
}
