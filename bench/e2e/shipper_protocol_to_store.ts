/**
 * Macro benchmark: acked durable ingest into a hub, then history-query latencies over what was
 * stored (issue 2). NOT part of the test suite.
 *
 * The hub runs as its own process (dist/hub/main.js); this process is the load: CONNECTIONS
 * WebSocket connections speaking the shipper protocol, each with up to max_inflight unacked
 * batches. Batches are pre-encoded so the load generator measures the hub, not itself. The clock
 * stops when the last batch is acked (= committed and flushed to disk); then the hub's /health is
 * polled until its indexer has caught up (index_lag_records 0): that wait is the catch-up time,
 * and hub CPU is counted until then (the indexer's worker thread is in the hub process). RUNS
 * fresh hubs, medians reported. Then: query latencies over HTTP (hub running) and in-process (store opened here), medians of 5.
 *
 * Run:  npm run build && node dist/bench/e2e/shipper_protocol_to_store.js
 * Knobs (env): RECORDS=1000000 CONNECTIONS=4 BATCH=1000 SEED=1 RUNS=3 KEEP=0
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../hub/protocol/index.js';
import { startHubProc } from './hub-process.js';
import { openStore } from '../../hub/store/store.js';
import { parseFilter } from '../../hub/filter/filter.js';
import { generateRecords } from './workload.js';
import { cpuSeconds, machine, median, peakRssMb, sampleRss, writeSection } from './results.js';

const RECORDS = Number(process.env.RECORDS ?? 1_000_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 4);
const BATCH = Number(process.env.BATCH ?? 1000);
const SEED = Number(process.env.SEED ?? 1);
const RUNS = Number(process.env.RUNS ?? 3);
const RARE = 'zq7raretoken';
/** Made of words every chunk contains, in an order no message has: trigram pruning cannot skip it. */
const ABSENT = 'order invoice token miss queue retry completed cache';

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) {
    const st = statSync(join(dir, f));
    if (st.isDirectory()) total += dirBytes(join(dir, f));
    else if (st.isFile()) total += st.blocks * 512; // allocated bytes, not the sparse map size
  }
  return total;
}

function ship(wsUrl: string, token: string, shipper: string, frames: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/v1/ingest`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    let next = 0;
    let acked = 0;
    let window = 1;
    const pump = () => {
      while (next < frames.length && next - acked < window) ws.send(frames[next++]);
    };
    ws.on('open', () => ws.send(encodeFrame({ type: 'hello', shipper, host: shipper, version: 1 })));
    ws.on('message', (data: Buffer) => {
      const r = decodeFrame(data);
      if (!r.ok) return reject(new Error(r.message));
      const f = r.frame;
      if (f.type === 'welcome') {
        window = f.max_inflight;
        pump();
      } else if (f.type === 'ack') {
        acked++;
        if (acked === frames.length) {
          ws.close();
          resolve();
        } else pump();
      } else reject(new Error(`unexpected ${JSON.stringify(f)}`));
    });
    ws.on('error', reject);
  });
}

async function timeIt(fn: () => Promise<unknown> | unknown, runs = 5): Promise<number> {
  await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'logwire-bench-'));
  // Pre-encode every connection's batches.
  const perConn: Buffer[][] = Array.from({ length: CONNECTIONS }, () => []);
  let rawBytes = 0; // the records as NDJSON lines: what a log file of them would hold
  let wireBytes = 0;
  let messageBytes = 0;
  let batch: unknown[] = [];
  let seq = 0;
  let conn = 0;
  for (const rec of generateRecords(RECORDS, SEED, RARE, 10)) {
    rawBytes += Buffer.byteLength(JSON.stringify(rec)) + 1;
    messageBytes += Buffer.byteLength(rec.message);
    batch.push(rec);
    if (batch.length === BATCH) {
      const f = encodeFrame({ type: 'batch', seq: Math.floor(seq++ / CONNECTIONS) + 1, records: batch as never });
      wireBytes += f.length;
      perConn[conn].push(f);
      conn = (conn + 1) % CONNECTIONS;
      batch = [];
    }
  }
  if (batch.length) perConn[conn].push(encodeFrame({ type: 'batch', seq: Math.floor(seq / CONNECTIONS) + 1 + 1_000_000, records: batch as never }));

  type Run = { seconds: number; cpuAcked: number; cpuTotal: number; catchUp: number; ingestRss: number };
  const runs: Run[] = [];
  let hub!: Awaited<ReturnType<typeof startHubProc>>;
  let rss!: ReturnType<typeof sampleRss>;
  for (let run = 0; run < RUNS; run++) {
    if (run > 0) {
      rss.stop();
      await hub.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    hub = await startHubProc([], { dataDir });
    rss = sampleRss(hub.pid);
    const cpu0 = cpuSeconds(hub.pid) ?? 0;
    const t0 = performance.now();
    await Promise.all(perConn.map((frames, i) => ship(hub.wsUrl, hub.token, `bench-${i}`, frames)));
    const tAcked = performance.now();
    const cpuAcked = (cpuSeconds(hub.pid) ?? 0) - cpu0;
    for (;;) {
      const h = (await (await fetch(`${hub.url}/health`)).json()) as { store: { index_lag_records?: number } };
      if (!h.store.index_lag_records) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const catchUp = (performance.now() - tAcked) / 1000;
    runs.push({ seconds: (tAcked - t0) / 1000, cpuAcked, cpuTotal: (cpuSeconds(hub.pid) ?? 0) - cpu0, catchUp, ingestRss: peakRssMb(hub.pid) ?? 0 });
    console.error(`run ${run + 1}: ${Math.round(RECORDS / runs[run].seconds)} records/s acked, catch-up ${catchUp.toFixed(2)} s, hub CPU ${runs[run].cpuTotal.toFixed(2)} s`);
  }
  const seconds = median(runs.map((r) => r.seconds));
  const hubCpu = median(runs.map((r) => r.cpuTotal));
  const hubCpuAcked = median(runs.map((r) => r.cpuAcked));
  const catchUp = median(runs.map((r) => r.catchUp));
  const ingestRss = Math.max(...runs.map((r) => r.ingestRss));
  const { token } = hub;

  const auth = { headers: { authorization: `Bearer ${token}` } };
  const get = async (path: string): Promise<{ total: number; count: number }> => {
    const res = await fetch(`${hub.url}${path}`, auth);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { total: number; count: number };
  };
  const stats = await get('/stats');
  if (stats.total !== RECORDS) throw new Error(`hub holds ${stats.total} records, expected ${RECORDS}`);
  const rare = await get(`/logs?q=${RARE}&limit=100`);
  const http = {
    latest100: await timeIt(() => get('/logs?service=payments&severity=ERROR&limit=100')),
    counts: await timeIt(() => get('/stats')),
    rareToken: await timeIt(() => get(`/logs?q=${RARE}&limit=100`)),
    scan: await timeIt(() => get(`/logs?q=${encodeURIComponent(ABSENT)}&limit=100`), 3),
  };
  const peakRss = peakRssMb(hub.pid);
  const rssSplit = rss.stop();
  await hub.stop();
  const diskBytes = dirBytes(dataDir);

  const store = await openStore({ dir: dataDir });
  const filter = (p: Record<string, string>) => {
    const r = parseFilter((n) => (p[n] === undefined ? [] : [p[n]]));
    if (!r.ok) throw new Error(r.message);
    return r.filter;
  };
  const take = (f: ReturnType<typeof filter>, limit: number) => {
    let n = 0;
    for (const _ of store.query(f, { order: 'desc', limit })) if (++n >= limit) break;
    return n;
  };
  const fLatest = filter({ service: 'payments', severity: 'ERROR' });
  const fRare = filter({ q: RARE });
  const fScan = filter({ q: ABSENT });
  const fRegex = filter({ regex: 'no-such-[0-9]+-thing' });
  const inproc = {
    latest100: await timeIt(() => take(fLatest, 100)),
    counts: await timeIt(() => store.stats().perServiceSeverity),
    rareToken: await timeIt(() => take(fRare, 100)),
    scan: await timeIt(() => take(fScan, 100), 3),
    regexScan: await timeIt(() => take(fRegex, 100), 3),
  };
  await store.close();
  if (process.env.KEEP !== '1') rmSync(dataDir, { recursive: true, force: true });

  const rate = Math.round(RECORDS / seconds);
  const gbps = (ms: number) => +((messageBytes / 1e9) / (ms / 1000)).toFixed(2);
  const result = {
    scenario: 'shipper_protocol_to_store', records: RECORDS, connections: CONNECTIONS, batch: BATCH,
    runs: RUNS, seconds: +seconds.toFixed(2), records_per_s: rate, catch_up_s: +catchUp.toFixed(2), hub_cpu_s_at_ack: +hubCpuAcked.toFixed(2), hub_cpu_s_per_million: +(hubCpu / (RECORDS / 1e6)).toFixed(2), wire_mb_per_s: +((wireBytes / 1e6) / seconds).toFixed(1),
    hub_cpu_s: +hubCpu.toFixed(2), hub_peak_rss_mb_ingest: ingestRss, hub_peak_rss_mb: peakRss, hub_peak_anon_mb: rssSplit.anonMb, hub_peak_file_mb: rssSplit.fileMb,
    disk_bytes_per_input_byte: +(diskBytes / rawBytes).toFixed(3), disk_mb: +(diskBytes / 1e6).toFixed(1), input_mb: +(rawBytes / 1e6).toFixed(1),
    rare_hits: rare.count,
    http_ms: Object.fromEntries(Object.entries(http).map(([k, v]) => [k, +v.toFixed(3)])),
    inproc_ms: Object.fromEntries(Object.entries(inproc).map(([k, v]) => [k, +v.toFixed(3)])),
    scan_gb_per_s: { http: gbps(http.scan), inproc: gbps(inproc.scan), inproc_regex: gbps(inproc.regexScan) },
  };
  const md = `## Hub ingest and queries (issue 2) — \`bench/e2e/shipper_protocol_to_store.ts\`

Hardware: ${machine()}. Workload: ${RECORDS.toLocaleString('en')} records (seed ${SEED}; 8 services, 4 hosts, 3 files, INFO-heavy severities, access lines / structured events / stack traces; ${(messageBytes / RECORDS).toFixed(0)} B of message and ${(rawBytes / RECORDS).toFixed(0)} B as an NDJSON line on average), ${CONNECTIONS} WebSocket connections from a separate load process on the same 2 cores, ${BATCH} records per batch, max_inflight from the hub's welcome. Clock stops at the last ack (records committed and fsynced). Ingest figures are medians of ${RUNS} runs, each on a fresh hub; query figures (over the last run's store) medians of 5 after one warm-up.

| measure | target | measured |
|---|---|---|
| acked durable ingest | ≥ 600,000 records/s | **${rate.toLocaleString('en')} records/s** (${result.seconds} s, ${result.wire_mb_per_s} MB/s of frames) |
| hub CPU per 1M records, indexer included until caught up | ≤ 1.5 CPU-s | **${result.hub_cpu_s_per_million} CPU-s** (${result.hub_cpu_s_at_ack} s of it by the last ack) |
| indexer catch-up after the burst | ≤ 2 s | **${result.catch_up_s} s** |
| hub peak RSS | ≤ 200 MB | ${ingestRss} MB after ingest, ${peakRss} MB after queries (VmHWM). Of that, anonymous memory (heap, buffers) peaked at **${rssSplit.anonMb} MB**; file-backed pages (LMDB's memory-mapped data file and the binaries: reclaimable page cache) at ${rssSplit.fileMb} MB |
| latest 100 for one service+severity | ≤ 0.1 ms in-process, ≤ 1 ms HTTP | ${inproc.latest100.toFixed(3)} ms in-process, ${http.latest100.toFixed(3)} ms HTTP |
| counts per service × severity | ≤ 1 ms | ${inproc.counts.toFixed(4)} ms in-process, ${http.counts.toFixed(3)} ms HTTP (/stats) |
| rare token (10 hits; found ${rare.count}) | ≤ 1 ms | ${inproc.rareToken.toFixed(3)} ms in-process, ${http.rareToken.toFixed(3)} ms HTTP |
| unindexed substring scan (no hit) | ≥ 1 GB/s | ${result.scan_gb_per_s.inproc} GB/s in-process (${inproc.scan.toFixed(1)} ms), ${result.scan_gb_per_s.http} GB/s HTTP; regex scan ${result.scan_gb_per_s.inproc_regex} GB/s |
| bytes on disk per input byte | ≤ 1 | ${result.disk_bytes_per_input_byte} (${result.disk_mb} MB on disk for ${result.input_mb} MB of NDJSON input) |

\`${JSON.stringify(result)}\``;
  console.log(md);
  console.log(JSON.stringify(result));
  writeSection('hub-ingest', md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
