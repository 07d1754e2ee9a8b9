/**
 * NATS subject names (docs/nats.md). Records travel on `logwire.logs.<service>.<severity>`; a
 * service name is sanitised into a single subject token (no `.`, `*`, `>`, whitespace), so
 * subscribers must still check the record's real service after receiving.
 */
import type { Severity } from './severity.js';

export const SUBJECT_ROOT = 'logwire';

export function sanitizeServiceToken(service: string): string {
  const token = service.replace(/[^A-Za-z0-9_-]/g, '_');
  return token === '' ? '_' : token;
}

export function logSubject(service: string, severity: Severity, root = SUBJECT_ROOT): string {
  return `${root}.logs.${sanitizeServiceToken(service)}.${severity}`;
}

/** Subjects covering a filter: `*` where a dimension is unconstrained. */
export function logSubjectsFor(services: readonly string[] | undefined, severities: readonly Severity[] | undefined, root = SUBJECT_ROOT): string[] {
  const svc = services && services.length > 0 ? [...new Set(services.map(sanitizeServiceToken))] : ['*'];
  const sev = severities && severities.length > 0 && severities.length < 6 ? severities : ['*'];
  const out: string[] = [];
  for (const s of svc) for (const v of sev) out.push(`${root}.logs.${s}.${v}`);
  return out;
}
