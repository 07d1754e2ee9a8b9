/**
 * Macro benchmark: the query targets of issue 9 over a prepared store (NOT part of the test suite).
 *
 * Builds a store of RECORDS (default 1,000,000) ~200-byte records in process (bench/store-workload.ts:
 * 8 services, skewed severities, 4 hosts, 2 files per service; exactly 10 records carry a rare token),
 * waits until the indexer has caught up, then measures, medians of RUNS after one warm-up:
 * - in process: latest 100 by event time for one service+severity, latest 100 unfiltered, rare
 *   token, counts per service × severity, volume over everything, an unindexed substring scan;
 * - over HTTP against the real hub process (dist/hub/main.js) opened on the same data directory:
 *   the same queries as GET /logs, /stats, /logs/volume;
 * - bytes on disk per input byte (input = the records as JSON lines).
 * Then (BIG, default 10,000,000; 0 skips) a second store of BIG records: latest-100 and rare token
 * in process, to compare with the RECORDS figures (target: within 2×).
 *
 * Run:  npm run build && node dist/bench/e2e/store_queries.js
 * Knobs (env): RECORDS=1000000 BIG=10000000 RUNS=21 KEEP=0 (keep the data directories)
 * Writes its section of bench/RESULTS.md ("store-queries").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { RecordFilter } from '../../hub/filter/filter.js';
import { parseFilter } from '../../hub/filter/filter.js';
import type { ValidRecord } from '../../hub/protocol/record.js';
import { openStore } from '../../hub/store/store.js';
import type { Store } from '../../hub/store/types.js';
import { RARE_TOKEN, inputBytes, makeWorkload } from '../store-workload.js';
import { startHubProc } from './hub-process.js';
import { machine, median, writeSection } from './results.js';

const RECORDS = Number(process.env.RECORDS ?? 1_000_000);
const BIG = Number(process.env.BIG ?? 10_000_000);
const RUNS = Number(process.env.RUNS ?? 21);
const KEEP = process.env.KEEP === '1';
const SLICE = 100_000;
/**
 * Two characters no message holds: shorter than a trigram, so no text index can skip a chunk and
 * every record is read and compared (the unindexed scan).
 */
const ABSENT = '§¶';

const filter = (q: string): RecordFilter => {
  const p = parseFilter((name) => new URLSearchParams(q).getAll(name));
  if (!p.ok) throw new Error(p.message);
  return p.filter;
};

/** Appends `count` workload records `spacingMs` apart in event time (4 appenders, batches of 1000); returns the input bytes. */
async function build(store: Store, count: number, spacingMs = 3): Promise<{ bytes: number; seconds: number }> {
  let bytes = 0;
  const t0 = performance.now();
  const start = Math.floor(Date.now() - count * spacingMs - 3_600_000);
  for (let at = 0; at < count; at += SLICE) {
    const n = Math.min(SLICE, count - at);
    let recs: ValidRecord[] = makeWorkload(n, 1 + at / SLICE, start + Math.floor(at * spacingMs), spacingMs);
    // makeWorkload puts the rare token into 10 records of every slice: keep only the first slice's.
    if (at > 0) recs = recs.map((r) => (r.message.includes(RARE_TOKEN) ? { ...r, message: r.message.replace(RARE_TOKEN, 'common') } : r));
    bytes += inputBytes(recs);
    const appenders = [0, 1, 2, 3].map(async (k) => {
      for (let i = k * 1000; i < recs.length; i += 4000) await store.append(recs.slice(i, i + 1000));
    });
    await Promise.all(appenders);
  }
  // The indexer's worker is unref'd: keep this process alive while it catches up.
  const keepAlive = setInterval(() => undefined, 1000);
  await store.indexed();
  clearInterval(keepAlive);
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

function timeIt(fn: () => unknown, runs = RUNS): number {
  fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

async function timeAsync(fn: () => Promise<unknown>, runs = RUNS): Promise<number> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

const count = (it: Iterable<unknown>): number => {
  let n = 0;
  for (const _ of it) n++;
  return n;
};

function inProcess(store: Store): Record<string, number> {
  const svcSev = filter('service=payments&severity=ERROR');
  const rare = filter(`q=${RARE_TOKEN}`);
  const absent = filter(`q=${encodeURIComponent(ABSENT)}`);
  const hits = count(store.query(rare, { order: 'desc', by: 'event', limit: 100 }));
  if (hits !== 10) throw new Error(`expected 10 rare-token hits, found ${hits}`);
  return {
    latest100: timeIt(() => count(store.query(svcSev, { order: 'desc', by: 'event', limit: 100 }))),
    latest100Unfiltered: timeIt(() => count(store.query({}, { order: 'desc', by: 'event', limit: 100 }))),
    rareToken: timeIt(() => count(store.query(rare, { order: 'desc', by: 'event', limit: 100 }))),
    counts: timeIt(() => store.stats().perServiceSeverity),
    volume: timeIt(() => store.volume({}, { loMinute: 0, hiMinute: Number.MAX_SAFE_INTEGER, stepMs: 60_000 })),
    scan: timeIt(() => count(store.query(absent, { order: 'desc', by: 'event' })), 5),
  };
}

async function overHttp(dir: string): Promise<Record<string, number>> {
  const hub = await startHubProc([], { dataDir: dir });
  try {
    const get = async (path: string) => {
      const r = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${hub.token}` } });
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return r.text();
    };
    return {
      latest100: await timeAsync(() => get('/logs?service=payments&severity=ERROR&limit=100')),
      rareToken: await timeAsync(() => get(`/logs?q=${RARE_TOKEN}`)),
      counts: await timeAsync(() => get('/stats')),
      volume: await timeAsync(() => get('/logs/volume')),
      scan: await timeAsync(() => get(`/logs?q=${encodeURIComponent(ABSENT)}`), 5),
    };
  } finally {
    await hub.stop();
  }
}

const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(1));

/** Steady ingest (batches of 100 every 5 ms) for `ms`: each append's latency and the event loop's longest delay. */
async function steadyIngest(store: Store, ms: number, during?: () => Promise<unknown>): Promise<{ p99: number; max: number; loopMax: number; deleted?: number; deleteS?: number }> {
  const lat: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const recs = makeWorkload(100, 99, Date.now() - 1000);
  let stop = false;
  const writer = (async () => {
    while (!stop) {
      const t0 = performance.now();
      await store.append(recs.map((r) => ({ ...r, ts: Date.now() })));
      lat.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  let deleted: number | undefined;
  let deleteS: number | undefined;
  const t0 = performance.now();
  if (during) {
    deleted = (await during()) as number;
    deleteS = (performance.now() - t0) / 1000;
  }
  const rest = ms - (performance.now() - t0);
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  stop = true;
  await writer;
  loop.disable();
  lat.sort((a, b) => a - b);
  return { p99: lat[Math.floor(lat.length * 0.99)], max: lat[lat.length - 1], loopMax: loop.max / 1e6, deleted, deleteS };
}

async function main(): Promise<void> {
  const host = machine();
  const dir = mkdtempSync(join(tmpdir(), 'logwire-bench-queries-'));
  const store = await openStore({ dir });
  const built = await build(store, RECORDS);
  const disk = store.diskBytes();
  const local = inProcess(store);
  await store.close();
  const http = await overHttp(dir);
  const gbps = (ms: number) => built.bytes / 1e9 / (ms / 1000);

  let big: { records: number; latest100: number; rareToken: number; volume: number; buildS: number; baseline: Awaited<ReturnType<typeof steadyIngest>>; retention: Awaited<ReturnType<typeof steadyIngest>> } | undefined;
  if (BIG > 0) {
    const bigDir = mkdtempSync(join(tmpdir(), 'logwire-bench-queries-big-'));
    const s = await openStore({ dir: bigDir });
    // Two days of event time, so retention has a whole day to delete.
    const spacing = (2 * 86_400_000) / BIG;
    const b = await build(s, BIG, spacing);
    const r = inProcess(s);
    // Retention deleting the older day while 20,000 records/s keep arriving, against the same ingest alone.
    const baseline = await steadyIngest(s, 5000);
    const cutoff = Date.now() - 3_600_000 - 86_400_000;
    const retention = await steadyIngest(s, 5000, () => s.deleteBefore(cutoff));
    big = { records: BIG, latest100: r.latest100, rareToken: r.rareToken, volume: r.volume, buildS: b.seconds, baseline, retention };
    await s.close();
    if (!KEEP) rmSync(bigDir, { recursive: true, force: true });
  }
  if (!KEEP) rmSync(dir, { recursive: true, force: true });

  const rows: Array<[string, string, string]> = [
    ['latest 100 by event time, one service+severity', '≤ 0.1 ms in-process, ≤ 1 ms HTTP', `${fmt(local.latest100)} ms in-process, ${fmt(http.latest100)} ms HTTP`],
    ['latest 100 by event time, unfiltered', '(none)', `${fmt(local.latest100Unfiltered)} ms in-process`],
    ['rare token (10 hits)', '≤ 1 ms', `${fmt(local.rareToken)} ms in-process, ${fmt(http.rareToken)} ms HTTP`],
    ['counts per service × severity', '≤ 1 ms', `${fmt(local.counts)} ms in-process, ${fmt(http.counts)} ms HTTP (/stats)`],
    ['volume over everything', '≤ 10 ms', `${fmt(local.volume)} ms in-process (per-minute buckets), ${fmt(http.volume)} ms HTTP (/logs/volume, default step)`],
    ['unindexed substring scan (no hit)', '≥ 1 GB/s', `${gbps(local.scan).toFixed(2)} GB/s in-process (${fmt(local.scan)} ms), ${gbps(http.scan).toFixed(2)} GB/s HTTP`],
    ['bytes on disk per input byte', '≤ 0.5', `${(disk / built.bytes).toFixed(3)} (${(disk / 1e6).toFixed(1)} MB for ${(built.bytes / 1e6).toFixed(1)} MB of JSON lines)`],
  ];
  if (big) {
    rows.push([`${(big.records / 1e6).toFixed(0)}M records: latest 100 (one service+severity), rare token`, 'within 2× of the 1M figures', `${fmt(big.latest100)} ms (${(big.latest100 / local.latest100).toFixed(2)}×), ${fmt(big.rareToken)} ms (${(big.rareToken / local.rareToken).toFixed(2)}×); volume ${fmt(big.volume)} ms; built in ${big.buildS.toFixed(0)} s`]);
    const rt = big.retention;
    rows.push([`${(big.records / 1e6).toFixed(0)}M records over 2 days: retention deletes the older day during 20,000 records/s of ingest`, 'ingest stalls ≤ 10 ms', `deleted ${(rt.deleted ?? 0).toLocaleString('en')} records in ${(rt.deleteS ?? 0).toFixed(1)} s; append latency p99 ${fmt(rt.p99)} ms, max ${fmt(rt.max)} ms, longest event-loop delay ${fmt(rt.loopMax)} ms (same ingest without retention: p99 ${fmt(big.baseline.p99)} ms, max ${fmt(big.baseline.max)} ms, loop ${fmt(big.baseline.loopMax)} ms)`]);
  }
  const json = { bench: 'store_queries', records: RECORDS, input_mb: +(built.bytes / 1e6).toFixed(1), disk_mb: +(disk / 1e6).toFixed(1), build_records_per_s: Math.round(RECORDS / built.seconds), inproc_ms: local, http_ms: http, big };
  const md = [
    '## Queries by event time, volume, scan (issue 9) — `bench/e2e/store_queries.ts`',
    '',
    `Hardware: ${host}. Store built in process (${RECORDS.toLocaleString('en')} records of ~200 B from bench/store-workload.ts, 4 appenders, batches of 1000; ${Math.round(RECORDS / built.seconds).toLocaleString('en')} records/s acked and indexed), then queried after the indexer caught up. Medians of ${RUNS} runs after one warm-up (scans: 5). HTTP: the hub process on the same data directory, one client on the same machine (fetch, keep-alive).`,
    '',
    '| measure | target | measured |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `\`${JSON.stringify(json)}\``,
  ].join('\n');
  console.log(md);
  writeSection('store-queries', md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
