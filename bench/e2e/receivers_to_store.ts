/**
 * Macro benchmark: each protocol receiver → durable store, against the native WebSocket path.
 * NOT part of the test suite.
 *
 * The hub runs as its own process (dist/hub/main.js, one fresh hub per protocol). This process
 * is the load: the same seeded records (bench/e2e/workload.ts), pre-encoded per protocol as its
 * clients send them (bench/e2e/receiver-payloads.ts), sent over CONNECTIONS connections. The
 * clock stops when the last request is answered (Loki 204, OTLP 200, bulk 200, Forward ack:
 * all only once durable) or, for syslog (no acks), when the hub's /stats total reaches the
 * count. Reports records/s and the hub's CPU time per record (from /proc/<pid>/stat), and that
 * CPU as a multiple of the WebSocket path's.
 *
 * Run:  npm run build && node dist/bench/e2e/receivers_to_store.js
 * Knobs (env): RECORDS=200000 BATCH=1000 CONNECTIONS=4 SEED=3 PROTOCOLS=ws,loki-proto,...
 * Prints a table and one JSON line; writes the `receivers` section of bench/RESULTS.md.
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Unpackr } from 'msgpackr';
import { decodeFrame, encodeFrame } from '../../hub/protocol/index.js';
import { startHubProc, type HubProc } from './hub-process.js';
import { generateRecords, type BenchRecord } from './workload.js';
import { cpuSeconds, machine, writeSection } from './results.js';
import { esBulk, forwardPacked, lokiJson, lokiProtobuf, otlpProtobuf, syslogOctets } from './receiver-payloads.js';
import { freePortNumber } from './free-port.js';

const RECORDS = Number(process.env.RECORDS ?? 200_000);
const BATCH = Number(process.env.BATCH ?? 1000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 4);
const SEED = Number(process.env.SEED ?? 3);
const ALL = ['ws', 'loki-proto', 'loki-json-gzip', 'otlp-proto', 'es-bulk', 'forward', 'syslog-tcp'];
const PROTOCOLS = (process.env.PROTOCOLS ?? ALL.join(',')).split(',');

/** Runs `work(i)` for i in 0..n-1 on `parallel` workers. */
async function pool(n: number, parallel: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n) await work(next++);
  }));
}

async function sendHttp(hub: HubProc, path: string, headers: Record<string, string>, bodies: Buffer[]): Promise<void> {
  await pool(bodies.length, CONNECTIONS, async (i) => {
    const res = await fetch(`${hub.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${hub.token}`, ...headers }, body: bodies[i] });
    const text = await res.text();
    if (res.status >= 300 || text.includes('"errors":true')) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
  });
}

function sendWs(hub: HubProc, batches: BenchRecord[][]): Promise<void> {
  const perConn = Array.from({ length: CONNECTIONS }, (_, c) => batches.filter((_, i) => i % CONNECTIONS === c));
  return Promise.all(perConn.map((mine, c) => new Promise<void>((resolve, reject) => {
    const frames = mine.map((b, i) => encodeFrame({ type: 'batch', seq: i + 1, records: b as never }));
    const ws = new WebSocket(`${hub.wsUrl}/v1/ingest`, { headers: { authorization: `Bearer ${hub.token}` }, perMessageDeflate: false });
    let sent = 0;
    let acked = 0;
    let window = 1;
    const pump = () => { while (sent < frames.length && sent - acked < window) ws.send(frames[sent++]); };
    ws.on('open', () => ws.send(encodeFrame({ type: 'hello', shipper: `bench-${c}-${Date.now()}`, version: 1 })));
    ws.on('message', (data: Buffer) => {
      const r = decodeFrame(data);
      if (!r.ok) return reject(new Error(r.message));
      const f = r.frame as { type: string; max_inflight?: number };
      if (f.type === 'welcome') { window = f.max_inflight ?? 8; pump(); }
      else if (f.type === 'ack' && ++acked === frames.length) { ws.close(); resolve(); }
      else if (f.type === 'ack') pump();
      else reject(new Error(`unexpected frame ${f.type}`));
    });
    ws.on('error', reject);
  }))).then(() => undefined);
}

function sendForward(port: number, bodies: Buffer[]): Promise<void> {
  const perConn = Array.from({ length: CONNECTIONS }, (_, c) => bodies.filter((_, i) => i % CONNECTIONS === c));
  return Promise.all(perConn.map((mine) => new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const unpackr = new Unpackr({ mapsAsObjects: true });
    let pending = Buffer.alloc(0);
    let sent = 0;
    let acked = 0;
    const pump = () => { while (sent < mine.length && sent - acked < 8) s.write(mine[sent++]); };
    s.on('connect', pump);
    s.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      let values: unknown[] = [];
      try {
        values = unpackr.unpackMultiple(pending) as unknown[];
        pending = Buffer.alloc(0);
      } catch (err) {
        const e = err as { incomplete?: boolean; values?: unknown[]; lastPosition?: number };
        if (!e.incomplete) return reject(err);
        values = e.values ?? [];
        pending = pending.subarray(e.lastPosition ?? 0);
      }
      acked += values.length;
      if (acked === mine.length) { s.end(); resolve(); } else pump();
    });
    s.on('error', reject);
  }))).then(() => undefined);
}

async function storedTotal(hub: HubProc): Promise<number> {
  const res = await fetch(`${hub.url}/stats`, { headers: { authorization: `Bearer ${hub.token}` } });
  return ((await res.json()) as { total: number }).total;
}

async function sendSyslog(hub: HubProc, port: number, bodies: Buffer[], count: number): Promise<void> {
  const perConn = Array.from({ length: CONNECTIONS }, (_, c) => bodies.filter((_, i) => i % CONNECTIONS === c));
  await Promise.all(perConn.map((mine) => new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', async () => {
      for (const b of mine) if (!s.write(b)) await new Promise((r) => s.once('drain', r));
      s.end(resolve);
    });
    s.on('error', reject);
  })));
  while ((await storedTotal(hub)) < count) await new Promise((r) => setTimeout(r, 10));
}

interface Result { protocol: string; records: number; seconds: number; recordsPerS: number; hubCpuUsPerRecord: number }

async function run(protocol: string, batches: BenchRecord[][]): Promise<Result> {
  const forwardPort = await freePortNumber();
  const syslogPort = await freePortNumber();
  const hub = await startHubProc(['--forward', String(forwardPort), '--syslog-tcp', String(syslogPort)]);
  try {
    const bodies: Buffer[] = protocol === 'ws' ? [] : batches.map((b, i) => {
      switch (protocol) {
        case 'loki-proto': return lokiProtobuf(b);
        case 'loki-json-gzip': return lokiJson(b);
        case 'otlp-proto': return otlpProtobuf(b);
        case 'es-bulk': return esBulk(b);
        case 'forward': return forwardPacked(b, `c${i}`);
        case 'syslog-tcp': return syslogOctets(b);
        default: throw new Error(`unknown protocol ${protocol}`);
      }
    });
    const cpu0 = cpuSeconds(hub.pid) ?? 0;
    const t0 = performance.now();
    if (protocol === 'ws') await sendWs(hub, batches);
    else if (protocol === 'loki-proto') await sendHttp(hub, '/loki/api/v1/push', { 'content-type': 'application/x-protobuf' }, bodies);
    else if (protocol === 'loki-json-gzip') await sendHttp(hub, '/loki/api/v1/push', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, bodies);
    else if (protocol === 'otlp-proto') await sendHttp(hub, '/v1/logs', { 'content-type': 'application/x-protobuf' }, bodies);
    else if (protocol === 'es-bulk') await sendHttp(hub, '/_bulk', { 'content-type': 'application/x-ndjson' }, bodies);
    else if (protocol === 'forward') await sendForward(forwardPort, bodies);
    else await sendSyslog(hub, syslogPort, bodies, RECORDS);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(hub.pid) ?? 0) - cpu0;
    const stored = await storedTotal(hub);
    if (stored !== RECORDS) throw new Error(`${protocol}: the hub stored ${stored} of ${RECORDS}`);
    return { protocol, records: RECORDS, seconds, recordsPerS: Math.round(RECORDS / seconds), hubCpuUsPerRecord: Math.round((cpu / RECORDS) * 1e6 * 100) / 100 };
  } finally {
    await hub.stop();
  }
}

async function main(): Promise<void> {
  const records = [...generateRecords(RECORDS, SEED)];
  const batches: BenchRecord[][] = [];
  for (let i = 0; i < records.length; i += BATCH) batches.push(records.slice(i, i + BATCH));
  const results: Result[] = [];
  for (const p of PROTOCOLS) {
    const r = await run(p, batches);
    results.push(r);
    console.log(`${p.padEnd(16)} ${String(r.recordsPerS).padStart(9)} records/s  hub CPU ${r.hubCpuUsPerRecord} µs/record`);
  }
  const ws = results.find((r) => r.protocol === 'ws');
  const rows = results.map((r) => `| ${r.protocol} | ${r.recordsPerS.toLocaleString('en-US')} | ${r.hubCpuUsPerRecord} | ${ws ? (r.hubCpuUsPerRecord / ws.hubCpuUsPerRecord).toFixed(2) + '×' : '–'} |`);
  writeSection('receivers', `## Protocol receivers → durable store (bench/e2e/receivers_to_store.ts)

${machine()}. ${RECORDS.toLocaleString('en-US')} seeded records per protocol (bench/e2e/workload.ts), batches of ${BATCH}, ${CONNECTIONS} connections, a fresh hub process each; the clock stops at the last durable answer (syslog: when /stats counts them all). Payloads are pre-encoded as the protocols' clients send them (Loki protobuf + snappy, Loki JSON + gzip, OTLP protobuf, ES bulk NDJSON with \`create\`, Fluent PackedForward with acks, octet-counted RFC 5424).

| protocol | records/s | hub CPU µs/record | CPU vs WebSocket |
|---|---|---|---|
${rows.join('\n')}

Targets: each within 1.5× the WebSocket path's CPU per record; Loki protobuf and Fluent Forward ≥ 300,000 records/s.`);
  console.log(JSON.stringify({ bench: 'receivers_to_store', records: RECORDS, batch: BATCH, connections: CONNECTIONS, results }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
