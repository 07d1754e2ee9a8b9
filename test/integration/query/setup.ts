/**
 * Shared set-up for the query API tests: a real hub (uWS on port 0, LMDB in a temp dir) with a
 * tokens file covering every scope, plus the reference documents' per-service tokens.
 */
import { startTestHub, type TestHub, type TokenSpec } from '../../helpers/hub.js';

export const TOKENS = {
  admin: 'query-admin-token',
  read: 'query-read-token',
  ingest: 'query-ingest-token',
} as const;

export const TOKEN_SPECS: TokenSpec[] = [
  { token: TOKENS.admin, name: 'admin', scopes: ['admin'], services: '*' },
  { token: TOKENS.read, name: 'reader', scopes: ['read'], services: '*' },
  { token: TOKENS.ingest, name: 'ingester', scopes: ['ingest'], services: '*' },
  // reference 001: one static token per service, used for every call including DELETE.
  { token: 'auth-service-token-001', name: 'auth-service', scopes: ['ingest', 'read', 'admin'], services: ['auth-service'] },
  { token: 'payment-service-token-002', name: 'payment-service', scopes: ['ingest', 'read'], services: ['payment-service'] },
  { token: 'notification-service-token-003', name: 'notification-service', scopes: ['ingest', 'read'], services: ['notification-service'] },
  // reference 000: per-service tokens; a record without a service gets the token's service.
  { token: 'TOKEN_SERVICIO_A', name: 'servicio-a', scopes: ['ingest', 'read'], services: ['servicio-a'] },
  // reference 004: one bearer token for the REST API ('bearer SECRETCODE').
  { token: 'SECRETCODE', name: 'aggregator', scopes: ['ingest', 'read'], services: '*' },
];

export function startQueryHub(): Promise<TestHub> {
  return startTestHub({ tokens: TOKEN_SPECS });
}

export interface Api {
  get(path: string, token?: string | null, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  del(path: string, token?: string | null): Promise<{ status: number; body: any; headers: Headers }>;
  post(records: unknown, token?: string): Promise<{ status: number; body: any }>;
}

export function api(hub: TestHub): Api {
  const call = async (method: string, path: string, token: string | null | undefined, headers: Record<string, string> = {}, body?: string) => {
    const h: Record<string, string> = { ...headers };
    if (token !== null) h.authorization = `Bearer ${token ?? TOKENS.admin}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(`${hub.url}${path}`, { method, headers: h, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    get: (path, token, headers) => call('GET', path, token, headers),
    del: (path, token) => call('DELETE', path, token),
    post: async (records, token) => {
      const r = await call('POST', '/logs', token ?? TOKENS.ingest, {}, JSON.stringify(records));
      if (r.status !== 201) throw new Error(`POST /logs answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r;
    },
  };
}

/** Ingests `n` records in batches of `batch`, built by `make(i)`. */
export async function ingestMany(a: Api, n: number, make: (i: number) => Record<string, unknown>, batch = 1000): Promise<void> {
  for (let i = 0; i < n; i += batch) {
    const recs = [];
    for (let j = i; j < Math.min(n, i + batch); j++) recs.push(make(j));
    await a.post(recs);
  }
}
