/**
 * TailConfig: one typed, validated, frozen config for tail-cli.
 *
 * Precedence: command-line flag > `LOGWIRE_<FLAG>` environment variable > default. The token
 * comes from `--token`, `LOGWIRE_TOKEN`, or the local hub's generated `<data>/admin.token`
 * (data = `--data`, `LOGWIRE_DATA`, or `./data`). Everything a person can get wrong (time,
 * severity, regex syntax, limit, hub URL) is checked here so it fails with one clear line before
 * any network traffic. This module never reads `process.env` itself: main.ts passes it in, and
 * `LOGWIRE_<FLAG>` values are read with the programs' shared `envForFlags`.
 */
import {
  ADMIN_TOKEN_FILE, DEFAULT_DATA_DIR, envForFlags, envName, MAX_PAGE_LIMIT, compilePattern, parseEnvBool, parseSeverityTerm, parseTime, plaintextWarning, readAdminToken, SEVERITIES,
} from '../hub/protocol/index.js';
import { CliError, ExitCode } from './errors.js';

export { ADMIN_TOKEN_FILE, DEFAULT_DATA_DIR };
/** Hub used when neither `--hub` nor `LOGWIRE_HUB` is given: a hub on this machine. */
export const DEFAULT_HUB = 'http://127.0.0.1:7070';
export const OUTPUT_FORMATS = ['pretty', 'json', 'raw'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** The hub's largest page for GET /logs. */
export const MAX_PAGE = MAX_PAGE_LIMIT;

/** Flags that also read `LOGWIRE_<FLAG>` (plus LOGWIRE_NO_FOLLOW / LOGWIRE_NO_COLOR for the negations). */
export const ENV_FLAGS = ['hub', 'token', 'data', 'service', 'severity', 'host', 'file', 'grep', 'regex', 'since', 'limit', 'output', 'follow', 'no-follow', 'color', 'no-color'] as const;

/** What yargs hands over: only what was typed; undefined means "not given". */
export interface CliArgs {
  hub?: string;
  token?: string;
  data?: string;
  service?: string[];
  severity?: string[];
  host?: string[];
  file?: string[];
  grep?: string;
  regex?: string;
  since?: string;
  follow?: boolean;
  /** As typed; validated here. */
  limit?: string;
  output?: string;
  color?: boolean;
}

/** Filters, already in the hub's query-parameter vocabulary (docs/protocol.md, docs/http-api.md). */
export interface TailFilter {
  services: string[];
  severities: string[];
  hosts: string[];
  files: string[];
  /** Case-insensitive substring (`--grep`, hub `q`). */
  q?: string;
  regex?: string;
}

export interface TailConfig {
  /** Hub base for HTTP, e.g. `http://127.0.0.1:7070` (no trailing slash). */
  httpUrl: string;
  /** Hub base for WebSockets, e.g. `ws://127.0.0.1:7070`. */
  wsUrl: string;
  token: string;
  filter: TailFilter;
  /** Print history from this event time (epoch ms) before going live. */
  sinceMs?: number;
  /** Keep only the newest N records of the history. */
  limit?: number;
  /** Continue live after the history (default true; `--no-follow` turns it off). */
  follow: boolean;
  output: OutputFormat;
  color: boolean;
  /** Warnings for a person before starting (e.g. an unencrypted remote hub). */
  warnings: string[];
}

export interface ConfigEnv {
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal (decides colour). */
  isTTY: boolean;
  nowMs?: number;
  /** Reads a file as text; injectable for tests. */
  readFile?: (path: string) => string;
}

/** `LOGWIRE_<FLAG>` values by flag name (envForFlags). */
type FlagEnv = Readonly<Record<string, string>>;

function usage(message: string): CliError {
  return new CliError(message, ExitCode.usage);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** A boolean `LOGWIRE_<FLAG>` value; undefined when unset; a usage error when not a boolean. */
function envBool(env: FlagEnv, flag: string): boolean | undefined {
  const b = parseEnvBool(env[flag]);
  if (b === null) throw usage(`${envName(flag)}="${env[flag]}" is not a boolean; use 1/true or 0/false`);
  return b;
}

function list(flag: string[] | undefined, envValue: string | undefined): string[] {
  const raw = flag !== undefined && flag.length > 0 ? flag : envValue !== undefined ? [envValue] : [];
  return raw.flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** Normalises `--hub` into HTTP and WebSocket bases; accepts http(s)://, ws(s)://, or host:port. */
export function parseHubUrl(input: string): { httpUrl: string; wsUrl: string } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usage(`--hub "${input}" is not a URL; use e.g. http://127.0.0.1:7070`);
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw usage(`--hub "${input}" must use http://, https://, ws:// or wss://`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  const hostPart = `${url.host}${path}`;
  return { httpUrl: `${secure ? 'https' : 'http'}://${hostPart}`, wsUrl: `${secure ? 'wss' : 'ws'}://${hostPart}` };
}

/** Checks the pattern locally with the hub's own rules (RE2 syntax, docs/patterns.md). */
function checkRegex(pattern: string): void {
  const c = compilePattern(pattern);
  if (!c.ok) throw usage(`--regex "${pattern}": ${c.message}`);
}

function resolveToken(args: CliArgs, env: FlagEnv, ctx: ConfigEnv): string {
  const given = nonEmpty(args.token) ?? nonEmpty(env.token);
  if (given !== undefined) return given;
  const found = readAdminToken(nonEmpty(args.data) ?? nonEmpty(env.data) ?? DEFAULT_DATA_DIR, ctx.readFile);
  if (found.token !== undefined) return found.token;
  if (found.problem === 'empty') throw usage(`no token: ${found.path} is empty; pass --token or set LOGWIRE_TOKEN`);
  throw usage(`no token: pass --token or set LOGWIRE_TOKEN (the local hub's ${found.path} is ${found.problem}; --data DIR points at another data directory)`);
}

function decideColor(args: CliArgs, output: OutputFormat, env: FlagEnv, ctx: ConfigEnv): boolean {
  if (output !== 'pretty') return false;
  if (args.color !== undefined) return args.color;
  if (envBool(env, 'no-color') === true) return false;
  if (envBool(env, 'color') === false) return false;
  // https://no-color.org: any non-empty value disables colour.
  if (nonEmpty(ctx.env.NO_COLOR) !== undefined) return false;
  const force = nonEmpty(ctx.env.FORCE_COLOR);
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (envBool(env, 'color') === true) return true;
  return ctx.isTTY && ctx.env.TERM !== 'dumb';
}

/** The filters, each flag falling back to its `LOGWIRE_<FLAG>`; severities and the regex are checked here. */
function parseFilter(args: CliArgs, env: FlagEnv): TailFilter {
  const filter: TailFilter = {
    services: list(args.service, env.service),
    severities: list(args.severity, env.severity),
    hosts: list(args.host, env.host),
    files: list(args.file, env.file),
  };
  for (const term of filter.severities) {
    if (!parseSeverityTerm(term)) {
      throw usage(`--severity "${term}" is not a level; use one of ${SEVERITIES.join(', ')}, optionally with + for "and above" (e.g. WARN+)`);
    }
  }
  const q = args.grep ?? nonEmpty(env.grep);
  if (q !== undefined && q !== '') filter.q = q;
  const regex = args.regex ?? nonEmpty(env.regex);
  if (regex !== undefined && regex !== '') {
    checkRegex(regex);
    filter.regex = regex;
  }
  return filter;
}

/** `--since` as epoch ms; undefined when not given. */
function parseSince(args: CliArgs, env: FlagEnv, ctx: ConfigEnv): number | undefined {
  const since = nonEmpty(args.since) ?? nonEmpty(env.since);
  if (args.since !== undefined && nonEmpty(args.since) === undefined) throw usage('--since needs a time, e.g. 15m, 2h or 2025-04-01T12:00:00Z');
  if (since === undefined) return undefined;
  const sinceMs = parseTime(since, ctx.nowMs ?? Date.now());
  if (sinceMs === undefined) {
    throw usage(`--since "${since}" is not a time; use a duration such as 30s, 15m, 2h, 7d or ISO 8601 such as 2025-04-01T12:00:00Z`);
  }
  return sinceMs;
}

/** `--limit` as a whole number ≥ 1; undefined when not given. */
function parseLimit(args: CliArgs, env: FlagEnv): number | undefined {
  const limitText = args.limit !== undefined ? args.limit.trim() : nonEmpty(env.limit);
  if (limitText === undefined) return undefined;
  const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
  if (!Number.isSafeInteger(limit) || limit < 1) throw usage(`--limit must be a whole number of at least 1, not "${limitText}"`);
  return limit;
}

/** `--follow` / `--no-follow`, then LOGWIRE_NO_FOLLOW, then LOGWIRE_FOLLOW; on by default. */
function decideFollow(args: CliArgs, env: FlagEnv): boolean {
  if (args.follow !== undefined) return args.follow;
  const noFollow = envBool(env, 'no-follow');
  return noFollow !== undefined ? !noFollow : envBool(env, 'follow') ?? true;
}

function parseOutput(args: CliArgs, env: FlagEnv): OutputFormat {
  const outputRaw = (args.output ?? nonEmpty(env.output) ?? 'pretty').toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(outputRaw)) {
    throw usage(`--output "${outputRaw}" is not a format; use ${OUTPUT_FORMATS.join(', ')}`);
  }
  return outputRaw as OutputFormat;
}

/** Merges flags, environment and defaults; validates; returns a frozen config or throws CliError. */
export function buildConfig(args: CliArgs, ctx: ConfigEnv): Readonly<TailConfig> {
  const env = envForFlags(ENV_FLAGS, ctx.env);
  const hub = nonEmpty(args.hub) ?? nonEmpty(env.hub) ?? DEFAULT_HUB;
  const { httpUrl, wsUrl } = parseHubUrl(hub);
  // Each part is checked on its own; the first mistake found ends here with one clear line.
  const filter = parseFilter(args, env);
  const sinceMs = parseSince(args, env, ctx);
  const limit = parseLimit(args, env);
  const follow = decideFollow(args, env);
  const output = parseOutput(args, env);
  const token = resolveToken(args, env, ctx);
  const warning = plaintextWarning(httpUrl);
  const warnings = warning ? [warning] : [];
  const config: TailConfig = { httpUrl, wsUrl, token, filter, follow, output, color: decideColor(args, output, env, ctx), warnings };
  if (sinceMs !== undefined) config.sinceMs = sinceMs;
  if (limit !== undefined) config.limit = limit;
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Query parameters for a filter, shared by GET /logs and /v1/tail. */
export function filterParams(filter: TailFilter): URLSearchParams {
  const p = new URLSearchParams();
  for (const s of filter.services) p.append('service', s);
  for (const s of filter.severities) p.append('severity', s);
  for (const h of filter.hosts) p.append('host', h);
  for (const f of filter.files) p.append('file', f);
  if (filter.q !== undefined) p.set('q', filter.q);
  if (filter.regex !== undefined) p.set('regex', filter.regex);
  return p;
}
