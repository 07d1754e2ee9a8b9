/**
 * Tokens (docs/tokens.md). A tokens file is JSON: an array of entries or `{"tokens": [...]}`, each
 * `{token | token_sha256, name, scopes: [ingest|read|admin], services: [..] | "*"}`.
 * Presented tokens are hashed and compared in constant time against every entry; plain tokens
 * from the file are hashed at load and never kept or logged. With no tokens file the hub
 * generates an admin token into `<data>/admin.token` (mode 0600) and reuses it on restart.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '../errors.js';
import { ADMIN_TOKEN_FILE } from '../protocol/programs.js';

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  name: string;
  /**
   * Stable identity of the token itself (a prefix of its SHA-256, never the token): what
   * per-token state, such as a shipper's dedupe seq (docs/protocol.md), is keyed by.
   */
  key: string;
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

function keyOf(hash: Buffer): string {
  return hash.subarray(0, 12).toString('base64url');
}

export function createRegistry(entries: Entry[]): TokenRegistry {
  return {
    size: entries.length,
    lookup(token) {
      const h = sha256(token);
      let found: Entry | undefined;
      for (const e of entries) if (timingSafeEqual(h, e.hash) && !found) found = e;
      return found && { name: found.name, key: found.key, scopes: found.scopes, services: found.services };
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
  return { hash: hash!, key: keyOf(hash!), name, scopes, services };
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

/**
 * Reads `<dataDir>/admin.token`, creating it when missing: O_CREAT|O_EXCL|O_NOFOLLOW with mode
 * 0600, so a file or symlink planted there is never written through. An existing one must be a
 * regular file (not a symlink) readable by its owner alone; otherwise startup stops with one
 * line saying how to fix it, since a token others could read may already have leaked.
 */
export function ensureAdminToken(dataDir: string): { token: string; path: string; created: boolean } {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  mkdirSync(dataDir, { recursive: true });
  const existing = readExistingToken(path);
  if (existing !== undefined) return { token: existing, path, created: false };
  const token = `lw_${randomBytes(24).toString('base64url')}`;
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    // Another process created it in between: use theirs (checked like any existing file).
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { token: readExistingToken(path) ?? fail(path, 'is empty; remove it and restart to get a new admin token'), path, created: false };
    throw new HubError('HUB_ERR_CONFIG', `cannot create ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { token, path, created: true };
}

function fail(path: string, what: string): never {
  throw new HubError('HUB_ERR_CONFIG', `${path} ${what}`);
}

/** The token in an existing admin.token, undefined when there is none (or it is empty). */
function readExistingToken(path: string): string | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (st.isSymbolicLink()) fail(path, 'is a symbolic link; the hub does not follow it. Remove it (rm) and restart to get a new admin token');
  if (!st.isFile()) fail(path, 'is not a regular file; remove it and restart to get a new admin token');
  if ((st.mode & 0o077) !== 0) {
    fail(path, `has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, readable by others; run chmod 600 ${path}, or remove it (the token may have leaked) and restart for a new one`);
  }
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const token = readFileSync(fd, 'utf8').trim();
    return token === '' ? undefined : token;
  } finally {
    closeSync(fd);
  }
}

export function adminRegistry(token: string): TokenRegistry {
  const hash = sha256(token);
  return createRegistry([{ hash, key: keyOf(hash), name: 'admin (generated)', scopes: new Set(SCOPES), services: '*' }]);
}
