/**
 * Token scoping of reads (docs/tokens.md): a token bound to services reads only those, "as if no other
 * service existed". Applied by narrowing the record filter, so every query, export, host view,
 * volume and live tail that runs a filter (locally or on other hubs) sees only those services.
 */
import type { RecordFilter } from './filter.js';

/** The filter narrowed to `services` ('*' leaves it as is); asking for others matches nothing. */
export function scopeFilter(f: RecordFilter, services: readonly string[] | '*'): RecordFilter {
  if (services === '*') return f;
  const allowed = f.services ? [...f.services].filter((s) => services.includes(s)) : services;
  return { ...f, services: new Set(allowed) };
}
