/**
 * The HubContext a read handler sees for a token bound to services (docs/tokens.md): history queries
 * narrowed to those services (scopeFilter), and the store's counters (`/stats`, `/hosts`) summed
 * over those services' streams only. Tokens with `services: "*"` get the context unchanged.
 */
import type { HubContext } from '../context.js';
import type { Principal } from '../auth/tokens.js';
import { scopeFilter } from '../filter/scope.js';
import { dict } from '../store/counters.js';
import type { Store, StoreStats } from '../store/types.js';
import type { RecordFilter } from '../filter/filter.js';

/** Store methods whose first argument is a record filter (types.ts). */
const FILTER_FIRST: ReadonlySet<string> = new Set<keyof Store>(['query', 'volume', 'volumeExtent']);

export function scopedContext(ctx: HubContext, principal: Principal): HubContext {
  const services = principal.services;
  if (services === '*') return ctx;
  const allowed: ReadonlySet<string> = new Set(services);
  const base = ctx.store;
  const store = new Proxy(base, {
    get(target, prop) {
      if (prop === 'stats') return () => scopeStats(target.stats(), allowed);
      if (prop === 'hosts') return () => target.hosts(allowed);
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof prop === 'string' && FILTER_FIRST.has(prop)) {
        const fn = v as (f: RecordFilter, ...rest: unknown[]) => unknown;
        return (f: RecordFilter, ...rest: unknown[]) => fn.call(target, scopeFilter(f, services), ...rest);
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const history = ctx.history;
  return { ...ctx, store, history: { query: (q) => history.query({ ...q, filter: scopeFilter(q.filter, services) }) } };
}

function scopeStats(st: StoreStats, allowed: ReadonlySet<string>): StoreStats {
  const out: StoreStats = { total: 0, perService: dict(), perSeverity: dict(), lastPerService: dict(), perServiceSeverity: dict() };
  for (const svc of allowed) {
    const n = st.perService[svc];
    if (!n) continue;
    out.total += n;
    out.perService[svc] = n;
    if (st.lastPerService[svc] !== undefined) out.lastPerService[svc] = st.lastPerService[svc];
    const bySev = st.perServiceSeverity[svc] ?? {};
    out.perServiceSeverity[svc] = { ...bySev };
    for (const [sev, c] of Object.entries(bySev)) out.perSeverity[sev as keyof typeof bySev] = (out.perSeverity[sev as keyof typeof bySev] ?? 0) + (c ?? 0);
  }
  return out;
}
