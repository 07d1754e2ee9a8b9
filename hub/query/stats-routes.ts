/**
 * GET /stats (docs/http-api.md): counts kept up to date on write by the store, so a request costs
 * O(services × severities) regardless of how many records are stored. Severities are listed in
 * canonical order (TRACE..FATAL), services in name order, for stable output.
 */
import { SEVERITIES, type Severity } from '../protocol/severity.js';
import { toIso } from '../protocol/time.js';
import type { QueryCall, QueryRoute } from './handler.js';
import type { IngestRateMeter } from './ingest-rate.js';
import { NO_PARAMS, rejectUnknownParams } from './params.js';
import { dict } from '../store/counters.js';

function bySeverity(counts: Partial<Record<Severity, number>>): Partial<Record<Severity, number>> {
  const out: Partial<Record<Severity, number>> = {};
  for (const s of SEVERITIES) if (counts[s]) out[s] = counts[s];
  return out;
}

function sortedKeys<T>(o: Record<string, T>): string[] {
  return Object.keys(o).sort();
}

export function statsRoutes(meter: IngestRateMeter): QueryRoute[] {
  const getStats = (call: QueryCall): void => {
    rejectUnknownParams(call.req.query, NO_PARAMS);
    const st = call.hub.store.stats();
    // Null-prototype objects: a service named __proto__ is a key like any other.
    const perService = dict<number>();
    const last = dict<string>();
    const perServiceSeverity = dict<Partial<Record<Severity, number>>>();
    for (const svc of sortedKeys(st.perService)) {
      if (!st.perService[svc]) continue;
      perService[svc] = st.perService[svc];
      const ts = st.lastPerService[svc];
      if (ts !== undefined) last[svc] = toIso(ts);
      perServiceSeverity[svc] = bySeverity(st.perServiceSeverity[svc] ?? {});
    }
    call.json(200, {
      total: st.total,
      logs_per_service: perService,
      logs_per_severity: bySeverity(st.perSeverity),
      last_log_per_service: last,
      logs_per_service_severity: perServiceSeverity,
      ingest_rate: meter.rate(),
      // Forwarding state is hub-wide: shown to tokens that may read every service.
      ...(call.hub.sinkStatus && call.principal.services === '*' ? { sinks: call.hub.sinkStatus() } : {}),
    });
  };
  return [{ method: 'get', pattern: '/stats', scope: 'read', handler: getStats }];
}
