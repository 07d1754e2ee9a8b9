/**
 * Volume from the index: records per event-time bucket and severity for the streams a filter's
 * labels pick, summed from the in-memory minute counts (volume.ts) — no LMDB read, so a histogram
 * over the whole store costs O(streams × minutes), not O(records). Only whole minutes are counted
 * here; text and receive-time filters, and partial minutes at the edges of a time range, are the
 * caller's to count from records (hub/query/volume.ts).
 */
import type { Severity } from '../protocol/severity.js';
import type { RecordFilter } from '../filter/filter.js';
import type { StoreState } from './state.js';
import { MINUTE_MS } from './volume.js';

/** Bucket start (epoch ms) → count per severity. */
export type VolumeBuckets = Map<number, Partial<Record<Severity, number>>>;

/** What to count: minutes loMinute..hiMinute (inclusive) into buckets of stepMs (a multiple of a minute). */
export interface VolumeRange {
  loMinute: number;
  hiMinute: number;
  stepMs: number;
}

/** Adds the minute counts of matching streams within the range to `out`. */
export function indexVolume(state: StoreState, f: RecordFilter, r: VolumeRange, out: VolumeBuckets): void {
  const perStep = r.stepMs / MINUTE_MS;
  for (const s of state.streams.candidates(f)) {
    const minutes = state.volume.live.get(s.sid);
    if (!minutes) continue;
    const sev = s.severity;
    for (const [m, n] of minutes) {
      if (m < r.loMinute || m > r.hiMinute) continue;
      const t = Math.floor(m / perStep) * r.stepMs;
      let c = out.get(t);
      if (!c) out.set(t, (c = {}));
      c[sev] = (c[sev] ?? 0) + n;
    }
  }
}

/** Event-time extent (epoch ms, minute resolution) of the streams a filter's labels pick. */
export function volumeExtent(state: StoreState, f: RecordFilter): { fromMs: number; toMs: number } | undefined {
  const e = state.volume.extent(state.streams.candidates(f).map((s) => s.sid));
  return e && { fromMs: e.lo * MINUTE_MS, toMs: (e.hi + 1) * MINUTE_MS - 1 };
}
