/**
 * Tokens (SPEC §6). A tokens file is JSON: an array of entries or `{"tokens": [...]}`, each
 * `{token | token_sha256, name, scopes: [ingest|read|admin], services: [..] | "*"}`.
 * Presented tokens are hashed and compared in constant time against every entry; plain tokens
 * from the file are hashed at load and never kept or logged. With no tokens file the hub
 * generates an admin token into `<data>/admin.token` (mode 0600) and reuses it on restart.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '../errors.js';
import { ADMIN_TOKEN_FILE } from '../protocol/programs.js';

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
  /** Services this token may write; '*' for any. */
  services: readonly string[] | '*';
}

interface Entry extends Principal {
  hash: Buffer;
}

export interface TokenRegistry {
  /** The principal for a presented token, or undefined. Constant-time over all entries. */
  lookup(token: string): Principal | undefined;
  readonly size: number;
}

export { ADMIN_TOKEN_FILE };

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function createRegistry(entries: Entry[]): TokenRegistry {
  return {
    size: entries.length,
    lookup(token) {
      const h = sha256(token);
      let found: Entry | undefined;
      for (const e of entries) if (timingSafeEqual(h, e.hash) && !found) found = e;
      return found && { name: found.name, scopes: found.scopes, services: found.services };
    },
  };
}

/** Parses a tokens file's text; throws HubError(HUB_ERR_CONFIG) naming the bad entry. */
export function parseTokensFile(text: string, source: string): TokenRegistry {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new HubError('HUB_ERR_CONFIG', `tokens file ${source} is not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { tokens?: unknown })?.tokens;
  if (!Array.isArray(list)) throw new HubError('HUB_ERR_CONFIG', `tokens file ${source} must be a JSON array of entries or {"tokens": [...]}`);
  const entries = list.map((raw, i) => parseEntry(raw, `${source} entry ${i}`));
  return createRegistry(entries);
}

function parseEntry(raw: unknown, where: string): Entry {
  const fail = (msg: string): never => {
    throw new HubError('HUB_ERR_CONFIG', `${where}: ${msg}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('must be an object');
  const e = raw as Record<string, unknown>;
  let hash: Buffer | undefined;
  if (typeof e.token === 'string' && e.token !== '') hash = sha256(e.token);
  else if (typeof e.token_sha256 === 'string' && /^[0-9a-f]{64}$/i.test(e.token_sha256)) hash = Buffer.from(e.token_sha256, 'hex');
  else fail('needs "token" (a non-empty string) or "token_sha256" (64 hex digits)');
  const name = typeof e.name === 'string' && e.name !== '' ? e.name : where;
  if (!Array.isArray(e.scopes) || e.scopes.length === 0) fail(`needs "scopes": a list of ${SCOPES.join(', ')}`);
  const scopes = new Set<Scope>();
  for (const s of e.scopes as unknown[]) {
    if (!SCOPES.includes(s as Scope)) fail(`unknown scope ${JSON.stringify(s)}; use ${SCOPES.join(', ')}`);
    scopes.add(s as Scope);
  }
  let services: readonly string[] | '*' = '*';
  if (e.services !== undefined && e.services !== '*') {
    if (!Array.isArray(e.services) || e.services.length === 0 || !e.services.every((s) => typeof s === 'string' && s !== '')) {
      fail('"services" must be "*" or a non-empty list of service names');
    }
    services = Object.freeze([...(e.services as string[])]);
  }
  return { hash: hash!, name, scopes, services };
}

export function loadTokensFile(path: string): TokenRegistry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HubError('HUB_ERR_CONFIG', `cannot read tokens file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTokensFile(text, path);
}

/** Reads `<dataDir>/admin.token`, creating it (mode 0600) when missing. */
export function ensureAdminToken(dataDir: string): { token: string; path: string; created: boolean } {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token !== '') return { token, path, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const token = `lw_${randomBytes(24).toString('base64url')}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, path, created: true };
}

export function adminRegistry(token: string): TokenRegistry {
  return createRegistry([{ hash: sha256(token), name: 'admin (generated)', scopes: new Set(SCOPES), services: '*' }]);
}
