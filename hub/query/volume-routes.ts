/**
 * GET /logs/volume (docs/http-api.md "Volume"): records per event-time bucket and severity, with
 * the GET /logs filters plus `step`. Label and event-time filters are answered from the store's
 * minute counts (whole minutes, no record read); partial minutes at the edges of `from`/`to`, a
 * step under a minute, and text or receive-time filters are counted from records, in time slices.
 * Buckets start at multiples of `step` since the epoch (UTC) and run over the asked range (or the
 * data's extent when open-ended), empty ones included, so a chart needs no gap filling.
 */
import { badParam } from '../errors.js';
import { queryValues } from '../http/request.js';
import type { RecordFilter } from '../filter/filter.js';
import { parseFilter } from '../filter/filter.js';
import { SEVERITIES, type Severity } from '../protocol/severity.js';
import { toIso } from '../protocol/time.js';
import type { Store } from '../store/types.js';
import type { QueryCall, QueryRoute } from './handler.js';
import { FILTER_PARAMS, AUTH_PARAM, rejectUnknownParams, single } from './params.js';
import { forEachSliced } from './time-slice.js';

const VOLUME_PARAMS: ReadonlySet<string> = new Set([...FILTER_PARAMS, 'step', AUTH_PARAM]);
const MINUTE_MS = 60_000;
/** At most this many buckets in one answer. */
export const MAX_BUCKETS = 10_000;
/** The default step gives at most this many buckets. */
const TARGET_BUCKETS = 120;
const UNITS: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', MINUTE_MS], ['s', 1000]];
/** Steps a default is chosen from, smallest first. */
const LADDER = ['1s', '2s', '5s', '10s', '15s', '30s', '1m', '2m', '5m', '10m', '15m', '30m', '1h', '2h', '3h', '6h', '12h', '1d', '2d', '7d', '30d', '365d'].map(parseStep) as number[];

/** `30s`, `5m`, `1h`, `1d` (a whole number and a unit) → ms; undefined when not a step. */
export function parseStep(raw: string): number | undefined {
  const m = /^(\d{1,9})(s|m|h|d)$/.exec(raw.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS.find(([u]) => u === m[2])![1];
  return ms >= 1000 ? ms : undefined;
}

/** The shortest spelling of a step (`90s` → `90s`, `3600000` ms → `1h`). */
export function formatStep(ms: number): string {
  for (const [u, n] of UNITS) if (ms % n === 0) return `${ms / n}${u}`;
  return `${ms / 1000}s`;
}

/** The smallest ladder step giving at most TARGET_BUCKETS buckets over [from, to]. */
export function defaultStep(fromMs: number, toMs: number): number {
  const span = Math.max(0, toMs - fromMs) + 1;
  return LADDER.find((s) => span / s <= TARGET_BUCKETS) ?? LADDER[LADDER.length - 1];
}

type Buckets = Map<number, Partial<Record<Severity, number>>>;

function add(out: Buckets, t: number, sev: Severity, n: number): void {
  let c = out.get(t);
  if (!c) out.set(t, (c = {}));
  c[sev] = (c[sev] ?? 0) + n;
}

/**
 * Above this many records in the range, a default step is at least a minute: sub-minute buckets
 * are counted from the records themselves (a scan), whole minutes from the index.
 */
const SCAN_MAX_RECORDS = 100_000;

/** The default step, raised to a minute when a finer one would scan more than SCAN_MAX_RECORDS. */
function coarseEnough(store: Store, f: RecordFilter, fromMs: number, toMs: number, stepMs: number): number {
  // The store's total bounds the range's count and costs nothing: most stores skip the pass below.
  if (stepMs >= MINUTE_MS || !indexable(f, MINUTE_MS) || store.stats().total <= SCAN_MAX_RECORDS) return stepMs;
  let n = 0;
  for (const c of store.volume(f, { loMinute: Math.floor(fromMs / MINUTE_MS), hiMinute: Math.floor(toMs / MINUTE_MS), stepMs: MINUTE_MS }).values()) {
    for (const s of SEVERITIES) n += c[s] ?? 0;
  }
  return n > SCAN_MAX_RECORDS ? MINUTE_MS : stepMs;
}

/** Counts matching records with event time in [from, to] into buckets, reading records. */
async function countRecords(store: Store, f: RecordFilter, from: number | undefined, to: number | undefined, stepMs: number, out: Buckets, stop: () => boolean): Promise<void> {
  const it = store.query({ ...f, from, to }, { order: 'asc', by: 'receive', ticks: true });
  await forEachSliced(it, (r) => void add(out, Math.floor(r.ts / stepMs) * stepMs, r.severity, 1), stop);
}

/** Whether the minute counts can answer this filter (labels and event time only). */
function indexable(f: RecordFilter, stepMs: number): boolean {
  return stepMs % MINUTE_MS === 0 && f.q === undefined && f.regex === undefined && f.receivedFrom === undefined && f.receivedTo === undefined;
}

/** Counts per bucket: whole minutes from the index, the edges and everything else from records. */
async function count(store: Store, f: RecordFilter, stepMs: number, stop: () => boolean): Promise<Buckets> {
  const out: Buckets = new Map();
  if (!indexable(f, stepMs)) {
    await countRecords(store, f, f.from, f.to, stepMs, out, stop);
    return out;
  }
  // Minute m is whole inside [from, to] iff from ≤ m·60000 and (m+1)·60000 − 1 ≤ to.
  const loMinute = f.from === undefined ? 0 : Math.ceil(f.from / MINUTE_MS);
  const hiMinute = f.to === undefined ? Number.MAX_SAFE_INTEGER : Math.floor((f.to + 1) / MINUTE_MS) - 1;
  if (loMinute > hiMinute) {
    await countRecords(store, f, f.from, f.to, stepMs, out, stop);
    return out;
  }
  for (const [t, c] of store.volume(f, { loMinute, hiMinute, stepMs })) for (const s of SEVERITIES) if (c[s]) add(out, t, s, c[s]!);
  if (f.from !== undefined && f.from < loMinute * MINUTE_MS) await countRecords(store, f, f.from, loMinute * MINUTE_MS - 1, stepMs, out, stop);
  if (f.to !== undefined && f.to >= (hiMinute + 1) * MINUTE_MS) await countRecords(store, f, (hiMinute + 1) * MINUTE_MS, f.to, stepMs, out, stop);
  return out;
}

async function getVolume(call: QueryCall): Promise<void> {
  const { query } = call.req;
  rejectUnknownParams(query, VOLUME_PARAMS);
  const parsed = parseFilter(queryValues(query));
  if (!parsed.ok) throw badParam(parsed.param, parsed.message);
  // Token service scoping of reads narrows `filter.services` from call.principal here, as for GET /logs.
  const filter = parsed.filter;
  const store = call.hub.store;
  const stepRaw = single(query, 'step');
  let stepMs: number | undefined;
  if (stepRaw !== undefined && stepRaw !== '') {
    stepMs = parseStep(stepRaw);
    if (stepMs === undefined) throw badParam('step', `step "${stepRaw}" is not a bucket width; use a whole number and a unit, such as 30s, 1m, 5m, 1h or 1d (at least 1s)`);
  }
  const extent = store.volumeExtent(filter);
  const fromMs = filter.from ?? extent?.fromMs;
  const toMs = filter.to ?? extent?.toMs;
  if (fromMs === undefined || toMs === undefined || fromMs > toMs) {
    call.json(200, { step: formatStep(stepMs ?? MINUTE_MS), buckets: [] });
    return;
  }
  stepMs ??= coarseEnough(store, filter, fromMs, toMs, defaultStep(fromMs, toMs));
  const first = Math.floor(fromMs / stepMs) * stepMs;
  const last = Math.floor(toMs / stepMs) * stepMs;
  const n = (last - first) / stepMs + 1;
  if (n > MAX_BUCKETS) {
    throw badParam('step', `step ${formatStep(stepMs)} gives ${n} buckets over this range, more than ${MAX_BUCKETS}; use a larger step or a shorter range (from, to)`);
  }
  const counts = await count(store, filter, stepMs, () => call.aborted.aborted);
  if (call.aborted.aborted) return;
  const buckets: Array<{ t: string; counts: Partial<Record<Severity, number>> }> = [];
  for (let t = first; t <= last; t += stepMs) {
    const c = counts.get(t) ?? {};
    const ordered: Partial<Record<Severity, number>> = {};
    for (const s of SEVERITIES) if (c[s]) ordered[s] = c[s];
    buckets.push({ t: toIso(t), counts: ordered });
  }
  call.json(200, { step: formatStep(stepMs), buckets });
}

/** Registered before GET /logs/:service, so `volume` is this endpoint, not a service name. */
export const volumeRoutes: QueryRoute[] = [{ method: 'get', pattern: '/logs/volume', scope: 'read', handler: getVolume }];
