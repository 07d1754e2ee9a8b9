/**
 * TailConfig: one typed, validated, frozen config for tail-cli.
 *
 * Precedence: command-line flag > `LOGWIRE_<FLAG>` environment variable > default. The token
 * comes from `--token`, `LOGWIRE_TOKEN`, or the local hub's generated `<data>/admin.token`
 * (data = `--data`, `LOGWIRE_DATA`, or `./data`). Everything a person can get wrong (time,
 * severity, regex syntax, limit, hub URL) is checked here so it fails with one clear line before
 * any network traffic. This module never reads `process.env` itself: main.ts passes it in.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compilePattern, parseSeverityTerm, parseTime, SEVERITIES } from '../hub/protocol/index.js';
import { CliError, ExitCode } from './errors.js';

/** Hub used when neither `--hub` nor `LOGWIRE_HUB` is given: a hub on this machine. */
export const DEFAULT_HUB = 'http://127.0.0.1:7070';
/** Data directory of the local hub, where its generated admin token lives. */
export const DEFAULT_DATA_DIR = './data';
/** Name of the generated token file inside the hub's data directory (SPEC §6). */
export const ADMIN_TOKEN_FILE = 'admin.token';
export const OUTPUT_FORMATS = ['pretty', 'json', 'raw'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** The hub's largest page for GET /logs (SPEC §5). */
export const MAX_PAGE = 10_000;

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

/** Filters, already in the hub's query-parameter vocabulary (SPEC §4, §5). */
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
}

export interface ConfigEnv {
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal (decides colour). */
  isTTY: boolean;
  nowMs?: number;
  /** Reads a file as text; injectable for tests. */
  readFile?: (path: string) => string;
}

function usage(message: string): CliError {
  return new CliError(message, ExitCode.usage);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Parses a boolean environment variable; undefined when unset or empty. */
export function envBool(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const v = nonEmpty(env[name])?.toLowerCase();
  if (v === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw usage(`${name}="${env[name]}" is not a boolean; use 1/true or 0/false`);
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

function resolveToken(args: CliArgs, ctx: ConfigEnv): string {
  const given = nonEmpty(args.token) ?? nonEmpty(ctx.env.LOGWIRE_TOKEN);
  if (given !== undefined) return given;
  const dataDir = nonEmpty(args.data) ?? nonEmpty(ctx.env.LOGWIRE_DATA) ?? DEFAULT_DATA_DIR;
  const path = resolve(join(dataDir, ADMIN_TOKEN_FILE));
  const read = ctx.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable' : code ?? 'unreadable';
    throw usage(`no token: pass --token or set LOGWIRE_TOKEN (the local hub's ${path} is ${why}; --data DIR points at another data directory)`);
  }
  const token = text.trim();
  if (token === '') throw usage(`no token: ${path} is empty; pass --token or set LOGWIRE_TOKEN`);
  return token;
}

function decideColor(args: CliArgs, output: OutputFormat, ctx: ConfigEnv): boolean {
  if (output !== 'pretty') return false;
  if (args.color !== undefined) return args.color;
  if (envBool(ctx.env, 'LOGWIRE_NO_COLOR') === true) return false;
  if (envBool(ctx.env, 'LOGWIRE_COLOR') === false) return false;
  // https://no-color.org: any non-empty value disables colour.
  if (nonEmpty(ctx.env.NO_COLOR) !== undefined) return false;
  const force = nonEmpty(ctx.env.FORCE_COLOR);
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (envBool(ctx.env, 'LOGWIRE_COLOR') === true) return true;
  return ctx.isTTY && ctx.env.TERM !== 'dumb';
}

/** Merges flags, environment and defaults; validates; returns a frozen config or throws CliError. */
export function buildConfig(args: CliArgs, ctx: ConfigEnv): Readonly<TailConfig> {
  const env = ctx.env;
  const { httpUrl, wsUrl } = parseHubUrl(nonEmpty(args.hub) ?? nonEmpty(env.LOGWIRE_HUB) ?? DEFAULT_HUB);

  const filter: TailFilter = {
    services: list(args.service, env.LOGWIRE_SERVICE),
    severities: list(args.severity, env.LOGWIRE_SEVERITY),
    hosts: list(args.host, env.LOGWIRE_HOST),
    files: list(args.file, env.LOGWIRE_FILE),
  };
  for (const term of filter.severities) {
    if (!parseSeverityTerm(term)) {
      throw usage(`--severity "${term}" is not a level; use one of ${SEVERITIES.join(', ')}, optionally with + for "and above" (e.g. WARN+)`);
    }
  }
  const q = args.grep ?? nonEmpty(env.LOGWIRE_GREP);
  if (q !== undefined && q !== '') filter.q = q;
  const regex = args.regex ?? nonEmpty(env.LOGWIRE_REGEX);
  if (regex !== undefined && regex !== '') {
    checkRegex(regex);
    filter.regex = regex;
  }

  let sinceMs: number | undefined;
  const since = nonEmpty(args.since) ?? nonEmpty(env.LOGWIRE_SINCE);
  if (args.since !== undefined && nonEmpty(args.since) === undefined) throw usage('--since needs a time, e.g. 15m, 2h or 2025-04-01T12:00:00Z');
  if (since !== undefined) {
    sinceMs = parseTime(since, ctx.nowMs ?? Date.now());
    if (sinceMs === undefined) {
      throw usage(`--since "${since}" is not a time; use a duration such as 30s, 15m, 2h, 7d or ISO 8601 such as 2025-04-01T12:00:00Z`);
    }
  }

  let limit: number | undefined;
  const limitText = args.limit !== undefined ? args.limit.trim() : nonEmpty(env.LOGWIRE_LIMIT);
  if (limitText !== undefined) {
    limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
    if (!Number.isSafeInteger(limit) || limit < 1) throw usage(`--limit must be a whole number of at least 1, not "${limitText}"`);
  }

  let follow = args.follow;
  if (follow === undefined) {
    const noFollow = envBool(env, 'LOGWIRE_NO_FOLLOW');
    follow = noFollow !== undefined ? !noFollow : envBool(env, 'LOGWIRE_FOLLOW') ?? true;
  }

  const outputRaw = (args.output ?? nonEmpty(env.LOGWIRE_OUTPUT) ?? 'pretty').toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(outputRaw)) {
    throw usage(`--output "${outputRaw}" is not a format; use ${OUTPUT_FORMATS.join(', ')}`);
  }
  const output = outputRaw as OutputFormat;

  const token = resolveToken(args, ctx);
  const config: TailConfig = { httpUrl, wsUrl, token, filter, follow, output, color: decideColor(args, output, ctx) };
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
