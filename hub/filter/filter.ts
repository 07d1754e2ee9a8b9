/**
 * The record filter shared by history queries (GET /logs) and live tails (/v1/tail): parsed once
 * from query parameters, then matched against records. Repeated or comma-separated values mean
 * "any of". Parsing returns the bad parameter's name so the HTTP layer can say which one.
 */
import { basename } from 'node:path';
import type { Severity } from '../protocol/severity.js';
import { SEVERITIES, parseSeverityTerm } from '../protocol/severity.js';
import { parseTime } from '../protocol/time.js';
import type { WireRecord } from '../protocol/frames.js';
import { compilePattern, type Pattern } from '../protocol/pattern.js';

export interface RecordFilter {
  services?: ReadonlySet<string>;
  severities?: ReadonlySet<Severity>;
  hosts?: ReadonlySet<string>;
  files?: ReadonlySet<string>;
  /** Event time bounds, epoch ms, inclusive. */
  from?: number;
  to?: number;
  /** Receive time bounds, epoch ms, inclusive. */
  receivedFrom?: number;
  receivedTo?: number;
  /** Case-insensitive substring of the message, as typed (lower-cased). */
  q?: string;
  /** Compiled case-insensitive matcher for `q`. */
  qRegex?: RegExp;
  /** User pattern, RE2 semantics (pattern.ts). */
  regex?: Pattern;
}

export type FilterParse = { ok: true; filter: RecordFilter } | { ok: false; param: string; message: string };

/** Reads all values of a parameter (repeated and comma-separated). */
export type ParamSource = (name: string) => string[];

/** Parameter names and the aliases the reference clients use. */
const TIME_PARAMS: Array<[keyof RecordFilter, string[]]> = [
  ['from', ['from', 'timestamp_start', 'since']],
  ['to', ['to', 'timestamp_end', 'until']],
  ['receivedFrom', ['received_from', 'received_at_start']],
  ['receivedTo', ['received_to', 'received_at_end']],
];

export function splitList(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) for (const part of v.split(',')) if (part !== '') out.push(part);
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The case-insensitive matcher of a `q` substring: an escaped literal, so V8 never backtracks. */
export function substringMatcher(q: string): RegExp {
  return new RegExp(escapeRegex(q), 'i');
}

export function parseFilter(get: ParamSource, nowMs = Date.now()): FilterParse {
  const filter: RecordFilter = {};
  const services = splitList(get('service'));
  if (services.length > 0) filter.services = new Set(services);

  const sevTerms = get('severity').flatMap((v) => v.split(',')).filter((t) => t !== '');
  if (sevTerms.length > 0) {
    const set = new Set<Severity>();
    for (const term of sevTerms) {
      const levels = parseSeverityTerm(term);
      if (!levels) return { ok: false, param: 'severity', message: `severity "${term.trim()}" is not a level; use one of ${SEVERITIES.join(', ')}, optionally with + for "and above" (e.g. WARN+)` };
      for (const l of levels) set.add(l);
    }
    filter.severities = set;
  }
  const hosts = splitList(get('host'));
  if (hosts.length > 0) filter.hosts = new Set(hosts);
  const files = splitList(get('file'));
  if (files.length > 0) filter.files = new Set(files);

  for (const [key, names] of TIME_PARAMS) {
    for (const name of names) {
      const v = get(name)[0];
      if (v === undefined || v === '') continue;
      const t = parseTime(v, nowMs);
      if (t === undefined) return { ok: false, param: name, message: `${name} "${v}" is not a time; use ISO 8601 (2025-04-01T12:00:00Z) or a relative time such as 15m, 2h, 7d` };
      (filter as Record<string, unknown>)[key] = t;
      break;
    }
  }

  const q = get('q')[0];
  if (q !== undefined && q !== '') {
    filter.q = q.toLowerCase();
    filter.qRegex = substringMatcher(q);
  }
  const re = get('regex')[0];
  if (re !== undefined && re !== '') {
    const compiled = compilePattern(re);
    if (!compiled.ok) return { ok: false, param: 'regex', message: compiled.message };
    filter.regex = compiled.pattern;
  }
  return { ok: true, filter };
}

/** True when the filter constrains only labels (service/severity/host/file), not content or time. */
export function isLabelOnly(f: RecordFilter): boolean {
  return f.from === undefined && f.to === undefined && f.receivedFrom === undefined && f.receivedTo === undefined && f.qRegex === undefined && f.regex === undefined;
}

export function matchLabels(f: RecordFilter, service: string, severity: Severity, host: string | undefined, file: string | undefined): boolean {
  if (f.services && !f.services.has(service)) return false;
  if (f.severities && !f.severities.has(severity)) return false;
  if (f.hosts && (host === undefined || !f.hosts.has(host))) return false;
  if (f.files && (file === undefined || !(f.files.has(file) || f.files.has(basename(file))))) return false;
  return true;
}

export function matchRecord(f: RecordFilter, r: WireRecord): boolean {
  if (!matchLabels(f, r.service, r.severity, r.host, r.file)) return false;
  if (f.from !== undefined && r.ts < f.from) return false;
  if (f.to !== undefined && r.ts > f.to) return false;
  if (f.receivedFrom !== undefined && r.rts < f.receivedFrom) return false;
  if (f.receivedTo !== undefined && r.rts > f.receivedTo) return false;
  if (f.qRegex && !f.qRegex.test(r.message)) return false;
  if (f.regex && !f.regex.test(r.message)) return false;
  return true;
}
