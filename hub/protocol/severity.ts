/**
 * Severity normalisation (docs/protocol.md): one canonical ladder, case-insensitive aliases, pino/bunyan
 * numbers (10..60) and syslog numbers (0..7). Used on ingest and in every filter.
 */

export const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

const RANK: Record<Severity, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };

const ALIASES: Record<string, Severity> = {
  TRACE: 'TRACE', DEBUG: 'DEBUG', INFO: 'INFO', WARN: 'WARN', ERROR: 'ERROR', FATAL: 'FATAL',
  WARNING: 'WARN', ERR: 'ERROR', CRITICAL: 'FATAL', CRIT: 'FATAL', EMERG: 'FATAL',
  EMERGENCY: 'FATAL', ALERT: 'FATAL', PANIC: 'FATAL', NOTICE: 'INFO', INFORMATION: 'INFO',
  INFORMATIONAL: 'INFO', DBG: 'DEBUG', TRC: 'TRACE', FTL: 'FATAL', WRN: 'WARN', INF: 'INFO',
};

/** pino/bunyan levels are multiples of ten; syslog levels are 0 (emerg) .. 7 (debug). */
const PINO: Record<number, Severity> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SYSLOG: Severity[] = ['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG'];

/** Returns the canonical severity for an input, or undefined when it is not a known level. */
export function lookupSeverity(input: unknown): Severity | undefined {
  if (typeof input === 'number') return severityFromNumber(input);
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  if (trimmed === '') return undefined;
  const alias = ALIASES[trimmed.toUpperCase()];
  if (alias) return alias;
  return /^\d+$/.test(trimmed) ? severityFromNumber(Number(trimmed)) : undefined;
}

function severityFromNumber(n: number): Severity | undefined {
  if (!Number.isInteger(n)) return undefined;
  if (n >= 0 && n <= 7) return SYSLOG[n];
  return PINO[n];
}

/**
 * Normalises a record's severity on ingest. Missing means INFO; an unknown value is INFO
 * too, and the caller keeps the original in `fields.level` (returned as `original`).
 */
export function normalizeSeverity(input: unknown): { severity: Severity; original?: string } {
  if (input === undefined || input === null || input === '') return { severity: 'INFO' };
  const known = lookupSeverity(input);
  if (known) return { severity: known };
  return { severity: 'INFO', original: String(input).slice(0, 64) };
}

/** Severities at or above `min` ("X+" in filters). */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => RANK[s] >= RANK[min]);
}

export function severityRank(s: Severity): number {
  return RANK[s];
}

/**
 * Parses one severity filter term: `ERROR`, `warning`, `WARN+`, or `WARN ` (a literal `+` in
 * a URL arrives as a space). Returns undefined when the term is not a level.
 */
export function parseSeverityTerm(term: string): Severity[] | undefined {
  const plus = term.endsWith('+') || (term.endsWith(' ') && term.trim() !== '');
  const level = lookupSeverity(plus ? term.trimEnd().replace(/\+$/, '') : term);
  if (!level) return undefined;
  return plus ? severitiesAtLeast(level) : [level];
}
