/**
 * What the three programs (logwire-hub, logwire-shipper, tail-cli) agree on outside the wire
 * frames: where the generated admin token lives, page limits of `GET /logs`, log levels, how
 * `LOGWIRE_<FLAG>` environment variables are read, and when a hub URL sends in the clear.
 * One place, imported by all three, so none of them carries its own copy.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Data directory of a hub when none is given (`--data`, `LOGWIRE_DATA`). */
export const DEFAULT_DATA_DIR = './data';
/** The admin token a hub without a tokens file generates, inside its data directory (mode 0600). */
export const ADMIN_TOKEN_FILE = 'admin.token';

/** `GET /logs` page size when `limit` is not given, and the largest one a hub serves. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 10_000;

/** Log levels every program accepts for `--log-level` (pino's). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

// --- environment -----------------------------------------------------------------------------

/** `max-disk` → `LOGWIRE_MAX_DISK`. */
export function envName(flag: string, prefix = 'LOGWIRE'): string {
  return `${prefix}_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/**
 * `LOGWIRE_<FLAG>` values for the given flags only, keyed by flag; empty values count as unset.
 * Only a program's own flags are read: yargs' `.env()` would take every LOGWIRE_* variable, and
 * with strict options a variable meant for another program (LOGWIRE_PORT for the hub, say)
 * would stop this one. Pass the result to yargs `.config()` so command-line flags still win.
 */
export function envForFlags(flags: readonly string[], env: Readonly<Record<string, string | undefined>>, prefix = 'LOGWIRE'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const v = env[envName(flag, prefix)];
    if (v !== undefined && v.trim() !== '') out[flag] = v;
  }
  return out;
}

/** A boolean environment value: 1/true/yes/on or 0/false/no/off; undefined when unset, null when neither. */
export function parseEnvBool(v: string | undefined): boolean | undefined | null {
  if (v === undefined || v.trim() === '') return undefined;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return null;
}

// --- the local hub's admin token ----------------------------------------------------------------

export type AdminTokenLookup = { token: string; path: string } | { token?: undefined; path: string; problem: string };

/** Reads `<dataDir>/admin.token`; says why not (not found, not readable, empty) when it cannot. */
export function readAdminToken(dataDir: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): AdminTokenLookup {
  const path = resolve(join(dataDir, ADMIN_TOKEN_FILE));
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { path, problem: code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable' : code ?? 'unreadable' };
  }
  const token = text.trim();
  return token === '' ? { path, problem: 'empty' } : { token, path };
}

// --- transport ---------------------------------------------------------------------------------

/** True for names and addresses that never leave the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * A warning when `url` sends tokens and logs unencrypted (ws:// or http://) to another machine;
 * undefined for wss://, https:// and loopback.
 */
export function plaintextWarning(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'http:') return undefined;
  if (isLoopbackHost(u.hostname)) return undefined;
  const secure = u.protocol === 'ws:' ? 'wss://' : 'https://';
  return `${u.protocol}//${u.host} is not encrypted: the token and every log line cross the network in the clear; use ${secure} (the hub's --tls-cert/--tls-key)`;
}
