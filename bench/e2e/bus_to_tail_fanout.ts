/**
 * Macro benchmark: ingest → live tail through the hub (issue 3). NOT part of the test suite.
 *
 * The hub runs as its own process (dist/hub/main.js). This process is the load and the tail
 * clients (msgpack). Two sources of records:
 *   ingest - shipper-protocol WebSocket connections (acked, windowed, as the shipper): the path
 *            includes validation and the durable LMDB commit (fsync) before fan-out;
 *   bus    - records published straight onto NATS (as another hub of the cluster would, with the
 *            hub's own bus code) and fanned out by the hub to its tails: the bus → tail path alone.
 * Scenarios:
 *   latency    - paced at RATE records/s (batches of BATCH), one tail receiving everything;
 *                per-record latency from the batch's SCHEDULED send time to the tail frame's
 *                arrival, so the numbers INCLUDE coordinated omission (a stalled sender or hub
 *                shows up as latency, not as missing samples). ingest×{local,nats} and bus.
 *   throughput - as fast as possible, one tail receiving everything: records/s at the tail and
 *                drops (target ≥ 300,000/s without drops). ingest and bus.
 *   fanout     - 10 tails with different filters at FANOUT_RATE records/s (bus source): latency
 *                over every delivered record, and hub CPU.
 * Each scenario prints a human line; at the end one JSON line with everything.
 *
 * Run:  npm run build && node dist/bench/e2e/bus_to_tail_fanout.js
 * Knobs (env): SCENARIOS=latency,throughput,fanout BUS=local,nats NATS_URL=nats://127.0.0.1:4222
 *              RATE=20000 BATCH=100 DURATION_S=8 WARMUP_S=1 TP_RECORDS=400000
 *              FANOUT_RATE=100000 FANOUT_BATCH=1000 SEED=1
 * Load generator and hub share the machine: give the hardware with every figure.
 */
import { makeId, newHubTag } from '../../hub/protocol/ids.js';
import { createConnection } from 'node:net';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import type { WireRecord } from '../../hub/protocol/index.js';
import { openNatsBus, type NatsBus } from '../../hub/bus/nats-bus.js';
import { cpuSeconds, machine, percentilesMs, writeSection } from './results.js';
import { openTailConn, recordPool, Shipper, startHubProc, type HubProc, type TailConn } from './tail-load.js';

const env = (k: string, d: string): string => process.env[k] ?? d;
const SCENARIOS = env('SCENARIOS', 'latency,throughput,fanout').split(',');
const BUSES = env('BUS', 'local,nats').split(',');
const NATS_URL = env('NATS_URL', 'nats://127.0.0.1:4222');
const RATE = Number(env('RATE', '20000'));
const BATCH = Number(env('BATCH', '100'));
const DURATION_S = Number(env('DURATION_S', '8'));
const WARMUP_S = Number(env('WARMUP_S', '1'));
const TP_RECORDS = Number(env('TP_RECORDS', '400000'));
const FANOUT_RATE = Number(env('FANOUT_RATE', '100000'));
const FANOUT_BATCH = Number(env('FANOUT_BATCH', '1000'));
const SEED = Number(env('SEED', '1'));

const pool = recordPool(20_000, SEED);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function natsReachable(url: string): Promise<boolean> {
  const u = new URL(url.replace(/^nats:/, 'http:'));
  return new Promise((resolve) => {
    const s = createConnection({ host: u.hostname, port: Number(u.port || 4222) }, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function startHub(bus: string): Promise<HubProc> {
  return startHubProc(bus === 'nats' ? ['--nats', NATS_URL] : []);
}

/** Batch b's records: messages start with `b|` so the tail can find the scheduled send time. */
function batchRecords(b: number, size: number): unknown[] {
  const out = new Array(size);
  for (let i = 0; i < size; i++) {
    const p = pool[(b * size + i) % pool.length];
    out[i] = { ...p, message: `${b}|${p.message}` };
  }
  return out;
}

interface Source {
  /** Sends batch b (records with messages `b|…`). */
  send(b: number, size: number): void;
  idle(): Promise<void>;
  close(): Promise<void>;
}

async function ingestSource(hub: HubProc, connections: number): Promise<Source> {
  const shippers = Array.from({ length: connections }, (_, i) => new Shipper(hub.wsUrl, hub.token, `bench-${i}`));
  await Promise.all(shippers.map((s) => s.ready));
  return {
    send: (b, size) => shippers[b % connections].send(batchRecords(b, size)),
    idle: async () => { await Promise.all(shippers.map((s) => s.idle())); },
    close: async () => { for (const s of shippers) s.close(); },
  };
}

async function busSource(): Promise<Source> {
  const bus: NatsBus = openNatsBus({ servers: NATS_URL, name: 'logwire-bench-publisher' });
  if (!(await bus.waitConnected(5000))) throw new Error(`cannot connect to NATS at ${NATS_URL}`);
  const now = Date.now();
  // Hubs validate what arrives from NATS like ingest (docs/nats.md): real ids, as a peer would send.
  const tag = newHubTag();
  let lseq = 0;
  return {
    send: (b, size) => {
      const recs = batchRecords(b, size) as Array<Record<string, unknown>>;
      bus.publishRecords(recs.map((r) => ({ ...r, id: makeId(now, tag, lseq++), ts: now, rts: now }) as unknown as WireRecord));
    },
    idle: () => bus.flush(),
    close: () => bus.close(),
  };
}

interface Paced {
  sent: number;
  histogram: RecordableHistogram;
  seconds: number;
  hubCpuPct: number;
  conns: TailConn[];
}

/**
 * Sends batch b at t0 + b·interval (catching up in a burst when late), and records per-record
 * latency against that schedule for every tail, after the warm-up.
 */
async function paced(hub: HubProc, source: Source, tails: Array<{ params: string }>, rate: number, batch: number): Promise<Paced> {
  const intervalNs = BigInt(Math.round((batch / rate) * 1e9));
  const histogram = createHistogram();
  const warmBatches = Math.ceil((WARMUP_S * rate) / batch);
  let t0 = 0n;
  const onRecords = (records: WireRecord[], now: bigint) => {
    for (const r of records) {
      const b = Number.parseInt(r.message, 10);
      if (b < warmBatches) continue;
      const ns = now - (t0 + BigInt(b) * intervalNs);
      histogram.record(ns > 0n ? ns : 1n);
    }
  };
  const conns = await Promise.all(tails.map((t) => openTailConn(hub.wsUrl, hub.token, t.params, onRecords)));
  await sleep(300); // the hub's bus subscriptions reach NATS
  const total = Math.ceil(((WARMUP_S + DURATION_S) * rate) / batch);
  const cpu0 = cpuSeconds(hub.pid) ?? 0;
  const wall0 = performance.now();
  t0 = process.hrtime.bigint();
  let b = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = process.hrtime.bigint();
      while (b < total && t0 + BigInt(b) * intervalNs <= now) source.send(b++, batch);
      if (b >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await source.idle();
  const seconds = (performance.now() - wall0) / 1000;
  const hubCpuPct = Math.round((((cpuSeconds(hub.pid) ?? 0) - cpu0) / seconds) * 100);
  const deadline = Date.now() + 20_000;
  while (conns[0].records + conns[0].dropped < total * batch && tails[0].params === '' && Date.now() < deadline) await sleep(20);
  await sleep(200);
  await source.close();
  return { sent: total * batch, histogram, seconds, hubCpuPct, conns };
}

async function latency(source: 'ingest' | 'bus', bus: string): Promise<Record<string, unknown>> {
  const hub = await startHub(bus);
  try {
    const r = await paced(hub, source === 'bus' ? await busSource() : await ingestSource(hub, 1), [{ params: '' }], RATE, BATCH);
    const p = percentilesMs(r.histogram);
    const received = r.conns[0].records;
    for (const c of r.conns) c.close();
    const out = { scenario: 'latency', source, bus, rate: RATE, batch: BATCH, seconds: DURATION_S, records: r.sent, received, dropped: r.conns[0].dropped, ...p, hub_cpu_pct: r.hubCpuPct, coordinated_omission: 'included (latency from scheduled send time)' };
    say(`latency ${source}→tail (bus ${bus}): ${RATE} rec/s, 1 tail: p50 ${p.p50} ms, p99 ${p.p99} ms, p99.9 ${p.p999} ms, max ${p.max} ms; received ${received}/${r.sent}; hub CPU ${r.hubCpuPct}%`);
    return out;
  } finally {
    await hub.stop();
  }
}

async function throughput(source: 'ingest' | 'bus', bus: string): Promise<Record<string, unknown>> {
  const hub = await startHub(bus);
  try {
    let last = 0n;
    const tail = await openTailConn(hub.wsUrl, hub.token, '', (_records, now) => { last = now; });
    const src = source === 'bus' ? await busSource() : await ingestSource(hub, 2);
    await sleep(300);
    const batch = 1000;
    const cpu0 = cpuSeconds(hub.pid) ?? 0;
    const t0 = process.hrtime.bigint();
    // The bus source yields between batches so its socket writes keep flowing.
    for (let b = 0; b * batch < TP_RECORDS; b++) {
      src.send(b, batch);
      if (source === 'bus' && b % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    await src.idle();
    const ingestS = Number(process.hrtime.bigint() - t0) / 1e9;
    const deadline = Date.now() + 30_000;
    while (tail.records + tail.dropped < TP_RECORDS && Date.now() < deadline) await sleep(20);
    const tailS = Number(last - t0) / 1e9;
    const hubCpuPct = Math.round((((cpuSeconds(hub.pid) ?? 0) - cpu0) / Math.max(ingestS, tailS)) * 100);
    tail.close();
    await src.close();
    const out = { scenario: 'throughput', source, bus, records: TP_RECORDS, tail_received: tail.records, tail_dropped: tail.dropped, tail_records_per_s: Math.round(tail.records / tailS), ingest_records_per_s: Math.round(TP_RECORDS / ingestS), hub_cpu_pct: hubCpuPct };
    say(`throughput ${source}→tail (bus ${bus}): source ${out.ingest_records_per_s} rec/s, one tail ${out.tail_records_per_s} rec/s, received ${tail.records}, dropped ${tail.dropped}; hub CPU ${hubCpuPct}%`);
    return out;
  } finally {
    await hub.stop();
  }
}

const FANOUT_FILTERS = [
  '', 'service=payments', 'service=auth,checkout', 'severity=WARN%2B', 'severity=ERROR%2B',
  'host=web-1', 'service=search&severity=INFO', 'q=timeout', 'regex=status%3D5%5Cd%5Cd', 'file=app.log',
];

async function fanout(): Promise<Record<string, unknown>> {
  const bus = 'nats';
  const hub = await startHub(bus);
  try {
    const r = await paced(hub, await busSource(), FANOUT_FILTERS.map((params) => ({ params })), FANOUT_RATE, FANOUT_BATCH);
    const p = percentilesMs(r.histogram);
    const delivered = r.conns.reduce((s, c) => s + c.records, 0);
    const dropped = r.conns.reduce((s, c) => s + c.dropped, 0);
    for (const c of r.conns) c.close();
    const out = { scenario: 'fanout', source: 'bus', bus, rate: FANOUT_RATE, clients: FANOUT_FILTERS.length, records: r.sent, delivered, dropped, ...p, hub_cpu_pct: r.hubCpuPct, coordinated_omission: 'included (latency from scheduled send time)' };
    say(`fanout bus→tails: ${FANOUT_RATE} rec/s, ${FANOUT_FILTERS.length} filtered tails: p50 ${p.p50} ms, p99 ${p.p99} ms, p99.9 ${p.p999} ms, max ${p.max} ms; delivered ${delivered}, dropped ${dropped}; hub CPU ${r.hubCpuPct}%`);
    return out;
  } finally {
    await hub.stop();
  }
}

/** Scenario lines, printed as they come and written to bench/RESULTS.md at the end. */
const lines: string[] = [];
function say(line: string): void {
  console.log(line);
  lines.push(line);
}

async function main(): Promise<void> {
  console.log(`bus_to_tail_fanout on ${machine()}`);
  const nats = await natsReachable(NATS_URL);
  if (!nats) console.log(`(skipping everything NATS: nothing listens at ${NATS_URL})`);
  const buses = BUSES.filter((b) => b !== 'nats' || nats);
  const results: Array<Record<string, unknown>> = [];
  if (SCENARIOS.includes('latency')) {
    for (const b of buses) results.push(await latency('ingest', b));
    if (nats) results.push(await latency('bus', 'nats'));
  }
  if (SCENARIOS.includes('throughput')) {
    results.push(await throughput('ingest', 'local'));
    if (nats) results.push(await throughput('bus', 'nats'));
  }
  if (SCENARIOS.includes('fanout') && nats) results.push(await fanout());
  const json = JSON.stringify({ bench: 'bus_to_tail_fanout', machine: machine(), results });
  console.log(json);
  writeSection('live-fanout', `## Live fan-out (issue 3) — \`bench/e2e/bus_to_tail_fanout.ts\`

Hardware: ${machine()}; hub in its own process, load generator and tail clients in this one, on the same 2 cores. Seeded workload (bench/e2e/workload.ts), batches of ${BATCH}, ${DURATION_S} s per latency run after ${WARMUP_S} s warm-up. Latency is from each batch's scheduled send time to the tail frame's arrival, so it INCLUDES coordinated omission. Targets: p99 ≤ 2 ms at 20,000 records/s; one tail ≥ 300,000 records/s without drops.

${lines.map((l) => `- ${l}`).join('\n')}

\`${json}\``);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
