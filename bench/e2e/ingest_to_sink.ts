/**
 * Macro benchmark: forwarding (docs/forwarding.md). NOT part of the test suite.
 *
 * 1. Lag: a forwarding hub takes RATE records/s of acked ingest for SECONDS (CONNECTIONS shipper
 *    connections, paced), while one sink (`logwire`, then `loki`) forwards everything into a
 *    second hub on this machine. /stats is sampled every 200 ms: the sink's lag in seconds
 *    (p50/p99/max) during the run, and how long it takes to catch up once ingest stops.
 * 2. A dead receiver: unpaced acked ingest of DEAD_RECORDS into a hub with no sink and into a hub
 *    whose sink points at a closed port (alternating, RUNS each), records/s compared.
 * Both hubs run as their own processes (dist/hub/main.js); this process is the load.
 *
 * Run:  npm run build && node dist/bench/e2e/ingest_to_sink.js
 * Knobs (env): RATE=100000 SECONDS=20 CONNECTIONS=2 BATCH=1000 DEAD_RECORDS=500000 RUNS=2 SINKS=logwire,loki SEED=1
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, type IncomingRecord } from '../../hub/protocol/index.js';
import type { SinkStatus } from '../../hub/sinks/sink.js';
import { startHubProc, type HubProc } from './hub-process.js';
import { generateRecords } from './workload.js';
import { cpuSeconds, machine, median, writeSection } from './results.js';

const RATE = Number(process.env.RATE ?? 100_000);
const SECONDS = Number(process.env.SECONDS ?? 20);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 2);
const BATCH = Number(process.env.BATCH ?? 1000);
const DEAD_RECORDS = Number(process.env.DEAD_RECORDS ?? 500_000);
const RUNS = Number(process.env.RUNS ?? 2);
const SINKS = (process.env.SINKS ?? 'logwire,loki').split(',').filter(Boolean);
const SEED = Number(process.env.SEED ?? 1);

/** A pool of record batches, reused with fresh seqs (encoding on the fly stays cheap). */
const POOL: IncomingRecord[][] = [];
{
  let batch: IncomingRecord[] = [];
  for (const r of generateRecords(200 * BATCH, SEED)) {
    batch.push(r as unknown as IncomingRecord);
    if (batch.length === BATCH) {
      POOL.push(batch);
      batch = [];
    }
  }
}

/**
 * Streams batches on one connection: `total` records, paced at `ratePerSec` (0 = as fast as acks
 * allow). Resolves with the records acked.
 */
function ship(hub: HubProc, shipper: string, total: number, ratePerSec: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${hub.wsUrl}/v1/ingest`, { headers: { authorization: `Bearer ${hub.token}` }, perMessageDeflate: false });
    let sent = 0;
    let acked = 0;
    let inflight = 0;
    let window = 1;
    let seq = 0;
    let t0 = 0;
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      clearTimeout(timer);
      while (sent < total && inflight < window) {
        if (ratePerSec > 0) {
          const due = t0 + (sent / ratePerSec) * 1000;
          const wait = due - performance.now();
          if (wait > 1) {
            timer = setTimeout(pump, wait);
            return;
          }
        }
        const records = POOL[seq % POOL.length];
        ws.send(encodeFrame({ type: 'batch', seq: ++seq, records }));
        sent += records.length;
        inflight++;
      }
    };
    ws.on('open', () => ws.send(encodeFrame({ type: 'hello', shipper, host: shipper, version: 1 })));
    ws.on('message', (data: Buffer) => {
      const r = decodeFrame(data);
      if (!r.ok) return reject(new Error(r.message));
      const f = r.frame;
      if (f.type === 'welcome') {
        window = f.max_inflight;
        t0 = performance.now();
        pump();
      } else if (f.type === 'ack') {
        acked += f.stored;
        inflight--;
        if (sent >= total && inflight === 0) {
          ws.close();
          resolve(acked);
        } else pump();
      } else reject(new Error(`unexpected ${JSON.stringify(f)}`));
    });
    ws.on('error', reject);
  });
}

async function ingest(hub: HubProc, total: number, rate: number): Promise<{ records: number; seconds: number }> {
  const t0 = performance.now();
  const per = Math.ceil(total / CONNECTIONS / BATCH) * BATCH;
  const acked = await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => ship(hub, `bench-${i}-${Date.now()}`, per, rate / CONNECTIONS)));
  return { records: acked.reduce((a, b) => a + b, 0), seconds: (performance.now() - t0) / 1000 };
}

async function sinkStatus(hub: HubProc): Promise<SinkStatus> {
  const res = await fetch(`${hub.url}/stats`, { headers: { authorization: `Bearer ${hub.token}` } });
  return ((await res.json()) as { sinks: SinkStatus[] }).sinks[0];
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function withSink(sink: Record<string, unknown>): Promise<HubProc> {
  const dir = mkdtempSync(join(tmpdir(), 'logwire-bench-sinks-'));
  const file = join(dir, 'sinks.json');
  writeFileSync(file, JSON.stringify({ sinks: [sink] }));
  return startHubProc(['--sinks', file]);
}

async function lagScenario(type: string): Promise<Record<string, number | string>> {
  const b = await startHubProc();
  const url = type === 'logwire' ? b.wsUrl : b.url;
  const a = await withSink({ name: 'bench', type, url, token: b.token });
  const lags: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      lags.push((await sinkStatus(a)).lag_seconds);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const cpuA = cpuSeconds(a.pid) ?? 0;
  const cpuB = cpuSeconds(b.pid) ?? 0;
  const run = await ingest(a, RATE * SECONDS, RATE);
  sampling = false;
  await sampler;
  const t = performance.now();
  let st = await sinkStatus(a);
  while (st.lag_records > 0) {
    await new Promise((r) => setTimeout(r, 50));
    st = await sinkStatus(a);
  }
  const catchUp = (performance.now() - t) / 1000;
  const out = {
    sink: type,
    acked_per_s: Math.round(run.records / run.seconds),
    lag_p50_s: pct(lags, 50),
    lag_p99_s: pct(lags, 99),
    lag_max_s: Math.max(...lags),
    catch_up_s: Math.round(catchUp * 100) / 100,
    sent: st.sent,
    cpu_forwarding_hub_s: Math.round(((cpuSeconds(a.pid) ?? 0) - cpuA) * 10) / 10,
    cpu_receiving_hub_s: Math.round(((cpuSeconds(b.pid) ?? 0) - cpuB) * 10) / 10,
  };
  await a.stop();
  await b.stop();
  return out;
}

async function deadScenario(): Promise<{ none: number; dead: number; changePct: number }> {
  const none: number[] = [];
  const dead: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const kind of ['none', 'dead'] as const) {
      const hub = kind === 'none' ? await startHubProc() : await withSink({ name: 'dead', type: 'http', url: 'http://127.0.0.1:1/', retry: { initial_ms: 100, max_ms: 1000 } });
      const r = await ingest(hub, DEAD_RECORDS, 0);
      (kind === 'none' ? none : dead).push(r.records / r.seconds);
      await hub.stop();
    }
  }
  const n = median(none);
  const d = median(dead);
  return { none: Math.round(n), dead: Math.round(d), changePct: Math.round(((d - n) / n) * 1000) / 10 };
}

async function main(): Promise<void> {
  const where = machine();
  const lag: Array<Record<string, number | string>> = [];
  for (const s of SINKS) {
    const r = await lagScenario(s);
    console.log(JSON.stringify({ scenario: 'sink_lag', ...r }));
    lag.push(r);
  }
  const dead = await deadScenario();
  console.log(JSON.stringify({ scenario: 'dead_sink', ...dead }));
  const rows = lag.map((r) => `| ${r.sink} | ${r.acked_per_s} | ${r.lag_p50_s} | ${r.lag_p99_s} | ${r.lag_max_s} | ${r.catch_up_s} | ${r.cpu_forwarding_hub_s} / ${r.cpu_receiving_hub_s} |`);
  writeSection('ingest_to_sink', `## Forwarding: sink lag and a dead receiver (bench/e2e/ingest_to_sink.ts)

${where}. Workload: ${RATE} records/s offered for ${SECONDS} s over ${CONNECTIONS} shipper connections (batches of ${BATCH}, seeded generator records of ~150 B), acked and fsynced by the forwarding hub; one sink forwards everything to a second hub on the same machine (its \`/v1/ingest\` for logwire, \`/loki/api/v1/push\` with protobuf+snappy for loki). Lag = the sink's \`lag_seconds\` in /stats, sampled every 200 ms; target < 2 s.

| sink | acked ingest (rec/s) | lag p50 (s) | lag p99 (s) | lag max (s) | catch-up after ingest stops (s) | CPU-s forwarding / receiving hub |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Dead receiver: unpaced acked ingest of ${DEAD_RECORDS} records, median of ${RUNS} runs each: no sink ${dead.none} rec/s, a sink pointed at a closed port ${dead.dead} rec/s (change ${dead.changePct} %; target within ±5 %).`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
