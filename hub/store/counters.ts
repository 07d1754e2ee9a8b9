/**
 * Aggregates for `stats()` and `hosts()`, derived from the per-stream counters (streams.ts) and
 * cached until a counter changes: O(streams) to rebuild, O(1) when nothing changed.
 */
import type { Severity } from '../protocol/severity.js';
import type { HostSummary, StoreStats } from './types.js';
import type { StreamTable } from './streams.js';

/**
 * An empty null-prototype object: service names such as `__proto__` or `constructor` are keys
 * like any other there (names are data, docs/guarantees.md), and JSON.stringify writes them out as such.
 */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Cached `stats()` / `hosts()` views over the stream counters. */
export class Aggregates {
  private statsCache?: { version: number; value: StoreStats };
  private hostsCache?: { version: number; value: HostSummary[] };

  constructor(private readonly streams: StreamTable) {}

  stats(): StoreStats {
    const v = this.streams.version;
    if (this.statsCache?.version === v) return cloneStats(this.statsCache.value);
    const out: StoreStats = { total: 0, perService: dict(), perSeverity: dict(), lastPerService: dict(), perServiceSeverity: dict() };
    for (const s of this.streams.all()) {
      if (s.n <= 0) continue;
      out.total += s.n;
      out.perService[s.service] = (out.perService[s.service] ?? 0) + s.n;
      out.perSeverity[s.severity] = (out.perSeverity[s.severity] ?? 0) + s.n;
      const pss = (out.perServiceSeverity[s.service] ??= dict());
      pss[s.severity] = (pss[s.severity] ?? 0) + s.n;
      if (Number.isFinite(s.lastTs) && !(out.lastPerService[s.service] >= s.lastTs)) out.lastPerService[s.service] = s.lastTs;
    }
    this.statsCache = { version: v, value: out };
    return cloneStats(out);
  }

  /** With `services`, only those services' streams count (token scoping; not cached). */
  hosts(services?: ReadonlySet<string>): HostSummary[] {
    const v = this.streams.version;
    if (!services && this.hostsCache?.version === v) return structuredClone(this.hostsCache.value);
    const byHost = new Map<string, { count: number; lastTs: number; files: Map<string, { count: number; lastTs: number }> }>();
    for (const s of this.streams.all()) {
      if (s.n <= 0 || s.host === undefined || (services && !services.has(s.service))) continue;
      let h = byHost.get(s.host);
      if (!h) byHost.set(s.host, (h = { count: 0, lastTs: -Infinity, files: new Map() }));
      h.count += s.n;
      h.lastTs = Math.max(h.lastTs, s.lastTs);
      if (s.file !== undefined) {
        let f = h.files.get(s.file);
        if (!f) h.files.set(s.file, (f = { count: 0, lastTs: -Infinity }));
        f.count += s.n;
        f.lastTs = Math.max(f.lastTs, s.lastTs);
      }
    }
    const out: HostSummary[] = [...byHost.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([host, h]) => ({
        host,
        count: h.count,
        lastTs: h.lastTs,
        files: [...h.files.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([file, f]) => ({ file, count: f.count, lastTs: f.lastTs })),
      }));
    if (services) return out;
    this.hostsCache = { version: v, value: out };
    return structuredClone(out);
  }
}

function cloneStats(s: StoreStats): StoreStats {
  const pss = dict<Partial<Record<Severity, number>>>();
  for (const k in s.perServiceSeverity) pss[k] = Object.assign(dict(), s.perServiceSeverity[k]);
  const copy = <T>(o: Record<string, T>) => Object.assign(dict<T>(), o);
  return { total: s.total, perService: copy(s.perService), perSeverity: copy(s.perSeverity), lastPerService: copy(s.lastPerService), perServiceSeverity: pss };
}
