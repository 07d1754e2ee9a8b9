/**
 * The shipper's one typed configuration: named defaults, then the layers CLI > environment
 * (`LOGWIRE_*`, then the legacy agent's names, real env before `.env`) > `--config` JSON file >
 * defaults, then validation, then a deep freeze. Every module receives only its slice.
 *
 * Invalid input throws `ConfigError` whose message is one line for a person; main.ts prints it
 * and exits 2. Nothing here opens sockets or tails files.
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { ADMIN_TOKEN_FILE, DEFAULT_DATA_DIR, isLogLevel, LOG_LEVELS, plaintextWarning, readAdminToken } from '../hub/protocol/index.js';

/** Defaults, one named constant each. */
export const DEFAULT_HUB = 'ws://127.0.0.1:7070/v1/ingest';
export const DEFAULT_STATE_DIR = './shipper-state';
export { DEFAULT_DATA_DIR };
/** Measured: 1024 records (~170 KB) keep the shipper's heap small (records die young) at the same throughput as 4096. */
export const DEFAULT_BATCH_MAX_RECORDS = 1024;
/** Stays well under any sane hub `max_batch_bytes`; the welcome's limit lowers it further. */
export const DEFAULT_BATCH_MAX_BYTES = 1024 * 1024;
/** A partial batch waits at most this long: live lines reach the hub fast; backfill fills batches by size. */
export const DEFAULT_BATCH_INTERVAL_MS = 20;
export const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_POLL_INTERVAL_MS = 250;
export const DEFAULT_ROTATE_WAIT_MS = 5000;
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
/** A record whose continuation lines may still come is sent after this idle time (loggers write a stack trace in one write). */
export const DEFAULT_MULTILINE_FLUSH_MS = 100;
export const DEFAULT_RETRY_BASE_MS = 500;
export const DEFAULT_RETRY_MAX_MS = 30_000;

export type LineFormat = 'auto' | 'json' | 'text';

/** One followed path or glob and how its lines become records. */
export interface SourceConfig {
  /** File path or glob (`/var/log/app/*.log`); new matches are picked up while running. */
  path: string;
  /** Service of its records unless a JSON line names its own. */
  service: string;
  /** Host label; defaults to the shipper's host. */
  host: string;
  /** `auto` tries JSON for lines starting with `{`, else plain text. */
  format: LineFormat;
  /** `auto` (indented/stack-trace lines join the previous one), `off`, or a regex source that starts a record. */
  multiline: string;
  /** A pending multiline record is emitted after this long without a continuation. */
  multilineFlushMs: number;
  /** Longer lines are cut and flagged `truncated`. */
  maxLineBytes: number;
}

export interface BatchConfig {
  maxRecords: number;
  maxBytes: number;
  /** A non-empty batch is sent at the latest this long after its first record. */
  intervalMs: number;
}

export interface SpoolConfig {
  /** When the unacked spool reaches this size, reading pauses (nothing is dropped). */
  maxBytes: number;
  /** fsync each spooled batch before it is sent (survives power loss, not only kill -9). */
  fsync: boolean;
}

export interface SendConfig {
  /** Ingest URLs, tried in turn (failover). */
  hubs: string[];
  token: string;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface TailConfig {
  pollIntervalMs: number;
  /** A rotated-away or deleted file is still read this long for late writes. */
  rotateWaitMs: number;
  /** Files seen for the first time at startup start at their end. */
  fromEnd: boolean;
  /** Follow symbolic links whose target is outside the watched directories (default false). */
  followSymlinks: boolean;
}

export interface ShipperConfig {
  host: string;
  stateDir: string;
  sources: SourceConfig[];
  batch: BatchConfig;
  spool: SpoolConfig;
  send: SendConfig;
  tail: TailConfig;
  logLevel: string;
  /** Show the live status line when stderr is a TTY. */
  status: boolean;
  /** Notes for the log once logging is up (legacy settings mapped or ignored). */
  notes: string[];
  /** Warnings for the log once logging is up (e.g. an unencrypted remote hub). */
  warnings: string[];
  /** The legacy Python agent's state (`STATE_FILE`) and the file it followed, imported on the first start. */
  legacy?: { stateFile: string; logFile?: string };
}

/** A configuration problem, for a person: one line, no stack. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Raw flag values as yargs gives them (CLI, then `LOGWIRE_*`); undefined = not given. */
export interface FlagValues {
  hub?: string | string[];
  token?: string;
  file?: string | string[];
  service?: string;
  host?: string;
  stateDir?: string;
  fromEnd?: boolean;
  followSymlinks?: boolean;
  config?: string;
  data?: string;
  envFile?: string;
  format?: string;
  multiline?: string;
  maxLineBytes?: number;
  batchMaxRecords?: number;
  batchMaxBytes?: number;
  batchIntervalMs?: number;
  spoolMaxBytes?: number;
  fsync?: boolean;
  pollIntervalMs?: number;
  retryBaseMs?: number;
  logLevel?: string;
  status?: boolean;
}

const FILE_KEYS = new Set([
  'hub', 'hubs', 'token', 'host', 'stateDir', 'state_dir', 'fromEnd', 'from_end', 'followSymlinks', 'follow_symlinks', 'files', 'sources', 'service',
  'batch', 'spool', 'tail', 'logLevel', 'format', 'multiline', 'maxLineBytes', 'retryBaseMs', 'retryMaxMs', 'data',
]);
const SOURCE_KEYS = new Set(['path', 'file', 'service', 'host', 'format', 'multiline', 'multilineFlushMs', 'maxLineBytes']);

/** Turns `http(s)://h/api/`, `ws://h:p`, or `h:p` into a full ingest URL. */
export function normalizeHubUrl(input: string): string {
  let s = input.trim();
  if (!/^[a-z]+:\/\//i.test(s)) s = `ws://${s}`;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new ConfigError(`hub URL "${input}" is not a valid URL (expected ws://host:port)`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ConfigError(`hub URL "${input}" must start with ws://, wss://, http:// or https://`);
  }
  // A legacy API base (`http://host/api/`) or a bare host means the standard ingest path.
  if (!url.pathname.endsWith('/v1/ingest')) url.pathname = '/v1/ingest';
  url.search = '';
  url.hash = '';
  return url.toString();
}

function list(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const out = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean);
  return out.length ? out : undefined;
}

function num(name: string, v: unknown, min: number): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${name} must be a number ≥ ${min}, got "${String(v)}"`);
  return n;
}

function seconds(name: string, v: string | undefined): number | undefined {
  const n = num(name, v, 0);
  return n === undefined ? undefined : Math.round(n * 1000);
}

function bool(v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  return /^(1|true|yes|on)$/i.test(String(v));
}

/** Service name for a file when none is given: `/var/log/payments.log` → `payments`. */
export function serviceFromPath(path: string): string {
  const base = basename(path).replace(/[*?[\]{}]/g, '');
  const name = base.slice(0, base.length - extname(base).length) || base;
  return name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'unknown';
}

function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`config file ${path} must hold a JSON object`);
  for (const k of Object.keys(v)) {
    if (!FILE_KEYS.has(k)) throw new ConfigError(`config file ${path}: unknown key "${k}"`);
  }
  return v as Record<string, unknown>;
}


function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Builds the validated, frozen config.
 * @param flags CLI values (yargs already folded `LOGWIRE_<FLAG>` env vars in).
 * @param env process environment merged over the `.env` file (legacy names read from here).
 * @param needToken false for commands that can run without a token (simulate to files).
 */
export function buildConfig(flags: FlagValues, env: Record<string, string | undefined>, needToken = true): ShipperConfig {
  const notes: string[] = [];
  const file = flags.config ? readJsonFile(flags.config) : {};
  const fb = (file.batch ?? {}) as Record<string, unknown>;
  const fs = (file.spool ?? {}) as Record<string, unknown>;
  const ft = (file.tail ?? {}) as Record<string, unknown>;

  const host = flags.host ?? env.SOURCE ?? (file.host as string | undefined) ?? hostname();
  if (!host || /[\u0000-\u001f]/.test(host) || host.length > 255) throw new ConfigError(`host "${host}" is not a valid host name`);

  const hubsRaw = list(flags.hub) ?? (env.API_URL ? [env.API_URL] : undefined) ?? list(file.hubs as string[]) ?? list(file.hub as string) ?? [DEFAULT_HUB];
  const hubs = hubsRaw.map(normalizeHubUrl);
  if (!flags.hub && env.API_URL) notes.push(`API_URL ${env.API_URL} mapped to ${hubs[0]}`);

  const dataDir = flags.data ?? (file.data as string | undefined) ?? DEFAULT_DATA_DIR;
  const token = flags.token ?? env.API_TOKEN ?? (file.token as string | undefined) ?? readAdminToken(dataDir).token;
  if (needToken && !token) {
    throw new ConfigError(`no hub token: pass --token, set LOGWIRE_TOKEN (or API_TOKEN), or run a local hub whose ${join(dataDir, ADMIN_TOKEN_FILE)} can be read`);
  }

  let stateDir = flags.stateDir ?? (file.stateDir as string | undefined) ?? (file.state_dir as string | undefined);
  if (!stateDir && env.STATE_FILE) {
    stateDir = `${env.STATE_FILE}.d`;
    notes.push(`STATE_FILE ${env.STATE_FILE}: state is kept in the directory ${stateDir}`);
  }
  stateDir = resolve(stateDir ?? DEFAULT_STATE_DIR);

  const maxLineBytes = num('max-line-bytes', flags.maxLineBytes ?? file.maxLineBytes, 64) ?? DEFAULT_MAX_LINE_BYTES;
  const format = (flags.format ?? (file.format as string | undefined) ?? 'auto') as LineFormat;
  const multiline = flags.multiline ?? (file.multiline as string | undefined) ?? 'auto';
  const defaults = { host, format, multiline, multilineFlushMs: DEFAULT_MULTILINE_FLUSH_MS, maxLineBytes };

  const sources: SourceConfig[] = [];
  const cliFiles = list(flags.file) ?? (env.LOG_FILE ? [env.LOG_FILE] : undefined);
  if (cliFiles) {
    for (const p of cliFiles) sources.push({ ...defaults, path: resolve(p), service: flags.service ?? (file.service as string) ?? serviceFromPath(p) });
  } else {
    const fileSources = (file.sources ?? file.files) as unknown;
    if (fileSources !== undefined && !Array.isArray(fileSources)) throw new ConfigError('config file: "files" must be an array');
    for (const [i, raw] of ((fileSources as unknown[]) ?? []).entries()) {
      const s = (typeof raw === 'string' ? { path: raw } : raw) as Record<string, unknown>;
      if (!s || typeof s !== 'object') throw new ConfigError(`config file: files[${i}] must be a path or an object`);
      for (const k of Object.keys(s)) if (!SOURCE_KEYS.has(k)) throw new ConfigError(`config file: files[${i}] has unknown key "${k}"`);
      const p = (s.path ?? s.file) as string | undefined;
      if (typeof p !== 'string' || !p) throw new ConfigError(`config file: files[${i}] needs a "path"`);
      const base = flags.config ? dirname(resolve(flags.config)) : process.cwd();
      sources.push({
        ...defaults,
        path: resolve(base, p),
        service: (s.service as string) ?? flags.service ?? serviceFromPath(p),
        host: (s.host as string) ?? host,
        format: ((s.format as string) ?? format) as LineFormat,
        multiline: (s.multiline as string) ?? multiline,
        multilineFlushMs: num(`files[${i}].multilineFlushMs`, s.multilineFlushMs, 1) ?? DEFAULT_MULTILINE_FLUSH_MS,
        maxLineBytes: num(`files[${i}].maxLineBytes`, s.maxLineBytes, 64) ?? maxLineBytes,
      });
    }
  }
  for (const s of sources) {
    if (!s.service || s.service.length > 128 || /[\u0000-\u001f]/.test(s.service)) throw new ConfigError(`service "${s.service}" must be 1-128 printable characters`);
    if (!['auto', 'json', 'text'].includes(s.format)) throw new ConfigError(`format "${s.format}" must be auto, json or text`);
    if (s.multiline !== 'auto' && s.multiline !== 'off') {
      try {
        new RegExp(s.multiline);
      } catch (err) {
        throw new ConfigError(`multiline pattern "${s.multiline}" is not a valid regular expression: ${(err as Error).message}`);
      }
    }
  }

  const intervalMs = num('batch-interval-ms', flags.batchIntervalMs, 1) ?? seconds('BATCH_INTERVAL', env.BATCH_INTERVAL) ?? num('batch.intervalMs', fb.intervalMs, 1) ?? DEFAULT_BATCH_INTERVAL_MS;
  if (env.BATCH_INTERVAL && flags.batchIntervalMs === undefined) notes.push(`BATCH_INTERVAL ${env.BATCH_INTERVAL}s: batches are sent at least every ${intervalMs} ms`);
  const retryBaseMs = num('retry-base-ms', flags.retryBaseMs, 1) ?? seconds('RETRY_DELAY', env.RETRY_DELAY) ?? num('retryBaseMs', file.retryBaseMs, 1) ?? DEFAULT_RETRY_BASE_MS;
  if (env.RETRY_DELAY && flags.retryBaseMs === undefined) notes.push(`RETRY_DELAY ${env.RETRY_DELAY}s is the reconnect backoff base`);
  if (env.MAX_RETRIES) notes.push(`MAX_RETRIES ${env.MAX_RETRIES} is accepted but not applied: batches are retried until the hub acks them, never discarded`);

  const cfg: ShipperConfig = {
    host,
    stateDir,
    sources,
    batch: {
      maxRecords: num('batch-max-records', flags.batchMaxRecords ?? fb.maxRecords, 1) ?? DEFAULT_BATCH_MAX_RECORDS,
      maxBytes: num('batch-max-bytes', flags.batchMaxBytes ?? fb.maxBytes, 1024) ?? DEFAULT_BATCH_MAX_BYTES,
      intervalMs,
    },
    spool: {
      maxBytes: num('spool-max-bytes', flags.spoolMaxBytes ?? fs.maxBytes, 1024 * 1024) ?? DEFAULT_SPOOL_MAX_BYTES,
      fsync: flags.fsync ?? bool(fs.fsync) ?? true,
    },
    send: {
      hubs,
      token: token ?? '',
      retryBaseMs,
      retryMaxMs: Math.max(retryBaseMs, num('retryMaxMs', file.retryMaxMs, 1) ?? DEFAULT_RETRY_MAX_MS),
    },
    tail: {
      pollIntervalMs: num('poll-interval-ms', flags.pollIntervalMs ?? ft.pollIntervalMs, 10) ?? DEFAULT_POLL_INTERVAL_MS,
      rotateWaitMs: num('tail.rotateWaitMs', ft.rotateWaitMs, 0) ?? DEFAULT_ROTATE_WAIT_MS,
      fromEnd: flags.fromEnd ?? bool(file.fromEnd ?? file.from_end) ?? false,
      followSymlinks: flags.followSymlinks ?? bool(file.followSymlinks ?? file.follow_symlinks) ?? false,
    },
    logLevel: flags.logLevel ?? (file.logLevel as string | undefined) ?? 'info',
    status: flags.status ?? true,
    notes,
    warnings: hubs.map(plaintextWarning).filter((w): w is string => w !== undefined),
  };
  if (env.STATE_FILE) {
    const plain = sources.filter((s) => !/[*?[\]{}]/.test(s.path));
    const logFile = env.LOG_FILE ? resolve(env.LOG_FILE) : plain.length === 1 ? plain[0].path : undefined;
    cfg.legacy = { stateFile: resolve(env.STATE_FILE), ...(logFile ? { logFile } : {}) };
  }
  if (!isLogLevel(cfg.logLevel)) {
    throw new ConfigError(`log-level "${cfg.logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return deepFreeze(cfg);
}
