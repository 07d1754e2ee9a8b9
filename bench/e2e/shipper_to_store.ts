/**
 * End-to-end benchmark: file → logwire-shipper → hub → durable LMDB. NOT part of the test suite.
 *
 * What it measures (input: a pre-generated, seeded file of LINES lines, default 1,000,000, a
 * realistic mix of plain text, pino JSON with trace ids appended, access logs and Java stack
 * traces, ~150 MB; cached in the temp dir)
 *   1. pipeline: the shipper's own read → parse → batch → encode path in a fresh process, no
 *      spool, no network: lines/s, CPU-s per million lines, peak RSS.
 *   2. null hub: the real shipper process (spool with fsync, WebSocket, acks) into an ack-only
 *      WebSocket server in this process, so the shipper's cost is measured apart from the
 *      hub's store: lines/s, shipper CPU-s per million lines, shipper peak RSS.
 *   3. backfill: the real shipper into a real hub process on this machine; the clock stops when
 *      the hub has stored (acked, durable) the last record. lines/s, MB/s, CPU-seconds of
 *      shipper + hub per million lines (from /proc/<pid>/stat), peak RSS of each (VmHWM).
 *   3b. rsyslog (bench/e2e/rsyslog-peer.ts): the same file through rsyslog imfile → TCP → imtcp →
 *      omfile, interleaved with the backfill runs; ratios logwire ÷ rsyslog. Backfill and rsyslog
 *      are medians of RUNS (default 3); the hub's CPU counts until its indexer has caught up.
 *   4. trickle: TRICKLE_RATE lines/s (default 10,000) appended live for TRICKLE_SECONDS
 *      (default 10); write→stored latency p50/p99/max from perf_hooks.createHistogram (the hub
 *      total is polled every 5 ms, so latencies are accurate to ~5 ms).
 *
 * How to run:  npm run build && node dist/bench/e2e/shipper_to_store.js
 *   Knobs: LINES, SEED, TRICKLE_RATE, TRICKLE_SECONDS, FSYNC=0 (shipper spool fsync off),
 *   SHIPPER_ARGS (extra shipper flags, e.g. "--batch-max-records 16384"), NODE_ARGS (node flags for
 *   the shipper process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), STAGES (comma list of
 *   pipeline,null,backfill,rsyslog,trickle; default all), RUNS.
 * Prints human-readable figures and one JSON line; writes the `shipper-e2e` section of
 * bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHistogram } from 'node:perf_hooks';
import { createLineGenerator } from '../../shipper/simulate.js';
import { createTailer, type TailedFile } from '../../shipper/tail.js';
import { createLineParser, type LineParser } from '../../shipper/parse.js';
import { createBatcher } from '../../shipper/batch.js';
import { DEFAULT_BATCH_MAX_BYTES, DEFAULT_BATCH_MAX_RECORDS } from '../../shipper/config.js';
import { encodeFrame } from '../../hub/protocol/index.js';
import { startNullHub } from './null-hub.js';
import { FSYNC, startShipper } from './shipper-process.js';
import { startHubProc } from './hub-process.js';
import { runRsyslog, type RsyslogResult } from './rsyslog-peer.js';
import { cpuSeconds, machine, peakRssMb, percentilesMs, REPO_ROOT, writeSection } from './results.js';

const LINES = Number(process.env.LINES ?? 1_000_000);
const SEED = Number(process.env.SEED ?? 7);
const TRICKLE_RATE = Number(process.env.TRICKLE_RATE ?? 10_000);
const TRICKLE_SECONDS = Number(process.env.TRICKLE_SECONDS ?? 10);
const STAGES = new Set((process.env.STAGES ?? 'pipeline,null,backfill,rsyslog,trickle').split(','));
const RUNS = Number(process.env.RUNS ?? 3);

/** Writes the seeded input once (cached in tmpdir); returns path, records and bytes. */
async function inputFile(): Promise<{ path: string; records: number; lines: number; bytes: number }> {
  const path = join(tmpdir(), `logwire-bench-${LINES}-${SEED}.log`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8'));
  const gen = createLineGenerator(['payments', 'auth', 'checkout', 'billing', 'search', 'notifications'], SEED);
  const out = createWriteStream(path);
  let lines = 0;
  let records = 0;
  let t = Date.UTC(2024, 4, 1);
  let buf = '';
  while (lines < LINES) {
    const ev = gen.next((t += 3));
    if (lines + ev.lines.length > LINES) break;
    // Realistic width (~200 bytes): tracing ids as real services add them.
    ev.lines[0] += ` trace_id=${(records * 2654435761 >>> 0).toString(16).padStart(8, '0')}${'0'.repeat(24)} span=${records.toString(16)}`;
    buf += ev.lines.join('\n') + '\n';
    lines += ev.lines.length;
    records++;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.end(buf);
  await new Promise<void>((r) => out.once('finish', () => r()));
  const info = { path, records, lines, bytes: statSync(path).size };
  writeFileSync(meta, JSON.stringify(info));
  return info;
}

const cpu = (pid: number): number => cpuSeconds(pid) ?? NaN;
const rss = (pid: number): number => peakRssMb(pid) ?? NaN;

async function total(url: string, token: string): Promise<number> {
  const r = await fetch(`${url}/stats`, { headers: { authorization: `Bearer ${token}` } });
  return ((await r.json()) as { total: number }).total;
}

async function indexLag(url: string): Promise<number> {
  const h = (await (await fetch(`${url}/health`)).json()) as { store: { index_lag_records?: number } };
  return h.store.index_lag_records ?? 0;
}

/** Median of each numeric field over runs (RUNS, default 3). */
function medianOf<T extends Record<string, number>>(runs: T[]): T {
  const out: Record<string, number> = {};
  for (const k of Object.keys(runs[0])) {
    const xs = runs.map((r) => r[k]).sort((a, b) => a - b);
    out[k] = xs[Math.floor(xs.length / 2)];
  }
  return out as T;
}

async function backfill(input: { path: string; records: number; lines: number; bytes: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-'));
  try {
    const hub = await startHubProc([], { dataDir: join(dir, 'hub') });
    const hubCpu0 = cpu(hub.pid);
    const t0 = performance.now();
    const shipper = startShipper(hub.url, hub.token, input.path, join(dir, 'state'));
    let n = 0;
    while ((n = await total(hub.url, hub.token)) < input.records) await new Promise((r) => setTimeout(r, 20));
    const secs = (performance.now() - t0) / 1000;
    const shipCpu = cpu(shipper.pid!);
    // The hub's indexer may lag behind the acks: its CPU counts until it has caught up.
    const tAcked = performance.now();
    while ((await indexLag(hub.url)) > 0) await new Promise((r) => setTimeout(r, 5));
    const catchUp = (performance.now() - tAcked) / 1000;
    const hubCpu = cpu(hub.pid) - hubCpu0;
    const res = {
      lines: input.lines, records: n, mb: input.bytes / 1048576, seconds: secs, catch_up_s: catchUp,
      lines_per_s: input.lines / secs, mb_per_s: input.bytes / 1048576 / secs,
      cpu_s_per_million_lines: ((shipCpu + hubCpu) * 1e6) / input.lines,
      shipper_cpu_s: shipCpu, hub_cpu_s: hubCpu,
      shipper_peak_rss_mb: rss(shipper.pid!), hub_peak_rss_mb: rss(hub.pid),
    };
    shipper.kill('SIGKILL');
    await hub.stop();
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines rsyslog's imfile will deliver: it skips empty lines. */
function nonEmptyLines(path: string): number {
  const b = readFileSync(path);
  let n = 0;
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 10) continue;
    if (i > start) n++;
    start = i + 1;
  }
  return n;
}

async function trickle() {
  const dir = mkdtempSync(join(tmpdir(), 'lw-trickle-'));
  try {
    const hub = await startHubProc([], { dataDir: join(dir, 'hub') });
    const file = join(dir, 'live.log');
    writeFileSync(file, '');
    const shipper = startShipper(hub.url, hub.token, file, join(dir, 'state'));
    // Warm-up: one line stored means the shipper follows the file and is connected.
    appendFileSync(file, `${new Date().toISOString()} INFO [trickle] warm-up\n`);
    while ((await total(hub.url, hub.token).catch(() => 0)) < 1) await new Promise((r) => setTimeout(r, 20));
    const written: number[] = []; // write time (ms, performance clock) of line i
    const hist = createHistogram();
    const totalLines = TRICKLE_RATE * TRICKLE_SECONDS;
    let acked = 0;
    const start = performance.now();
    const poller = (async () => {
      while (acked < totalLines) {
        const n = (await total(hub.url, hub.token)) - 1;
        const now = performance.now();
        for (; acked < n && acked < written.length; acked++) hist.record(Math.max(1, Math.round((now - written[acked]) * 1e6)));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    let i = 0;
    while (i < totalLines) {
      const due = Math.min(totalLines, Math.floor(((performance.now() - start) / 1000) * TRICKLE_RATE));
      let text = '';
      const now = performance.now();
      for (; i < due; i++) {
        written.push(now);
        text += `${new Date().toISOString()} INFO [trickle] live line ${i} user=u_1 took=3ms\n`;
      }
      if (text) appendFileSync(file, text);
      await new Promise((r) => setTimeout(r, 2));
    }
    await poller;
    shipper.kill('SIGKILL');
    await hub.stop();
    const p = percentilesMs(hist);
    return { rate: TRICKLE_RATE, seconds: TRICKLE_SECONDS, p50_ms: p.p50, p99_ms: p.p99, max_ms: p.max };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Input = { path: string; records: number; lines: number; bytes: number };

/** Stage 1, run in a child process (STAGE_CHILD=pipeline): read → parse → batch → encode only. */
async function pipelineChild(path: string): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let lines = 0;
  let seq = 0;
  const batcher = createBatcher({ maxRecords: DEFAULT_BATCH_MAX_RECORDS, maxBytes: DEFAULT_BATCH_MAX_BYTES, intervalMs: 100 }, (b) => {
    encodeFrame({ type: 'batch', seq: ++seq, records: b.records as unknown as Record<string, unknown>[] });
  });
  const parsers = new Map<TailedFile, LineParser>();
  const tailer = createTailer([{ path, maxLineBytes: 65536 }], { pollIntervalMs: 100, rotateWaitMs: 0, fromEnd: false }, new Map(), {
    onOpen(f) {
      const o = { service: 'bench', host: 'bench-host', file: f.path, format: 'auto' as const, multiline: 'auto', multilineFlushMs: 1000, maxLineBytes: 65536 };
      parsers.set(f, createLineParser(o, (r, end, size) => batcher.add(r, size, f.ident, end)));
    },
    onLine(f, line, end, truncated, now) {
      lines++;
      parsers.get(f)!.push(line, end, truncated, now);
    },
    onReset: (f) => parsers.get(f)?.flush(),
    onClose: () => undefined,
    gate: () => undefined,
    warn: (m) => console.error(m),
    info: () => undefined,
  });
  await tailer.cycle();
  for (const p of parsers.values()) p.flush();
  batcher.flush();
  batcher.close();
  await tailer.close();
  const c = process.cpuUsage(c0);
  const secs = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ lines, seconds: secs, lines_per_s: lines / secs, cpu_s_per_million_lines: ((c.user + c.system) / 1e6) * (1e6 / lines), peak_rss_mb: peakRssMb(process.pid) }) + '\n');
}

async function pipeline(input: Input) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, STAGE_CHILD: 'pipeline', INPUT: input.path }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  await new Promise((r) => proc.once('exit', r));
  return JSON.parse(out) as { lines: number; seconds: number; lines_per_s: number; cpu_s_per_million_lines: number; peak_rss_mb: number };
}

/** Stage 2: the real shipper into an ack-only WebSocket server (no store), to isolate its cost. */
async function nullHub(input: Input) {
  const dir = mkdtempSync(join(tmpdir(), 'lw-null-'));
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const hub = await startNullHub(() => {
    if (hub.stored >= input.records) done();
  });
  try {
    const t0 = performance.now();
    const shipper = startShipper(hub.url, 'null-token', input.path, join(dir, 'state'));
    await finished;
    const secs = (performance.now() - t0) / 1000;
    const res = { lines_per_s: input.lines / secs, seconds: secs, shipper_cpu_s_per_million_lines: (cpu(shipper.pid!) * 1e6) / input.lines, shipper_peak_rss_mb: rss(shipper.pid!) };
    shipper.kill('SIGTERM'); // a clean stop, so --cpu-prof (NODE_ARGS) writes its profile
    await new Promise((r) => shipper.once('exit', r));
    return res;
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.STAGE_CHILD === 'pipeline') {
  await pipelineChild(process.env.INPUT!);
  process.exit(0);
}

const input = await inputFile();
const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const hw = `${machine()}`;
const work = `${fmt(input.lines)} lines (${fmt(input.records)} records), ${fmt(input.bytes / 1048576)} MB, seed ${SEED}; spool fsync ${FSYNC ? 'on' : 'off'}${process.env.SHIPPER_ARGS ? `; shipper ${process.env.SHIPPER_ARGS}` : ''}`;
console.log(`input: ${work}\nhardware: ${hw}`);
const out: Record<string, unknown> = { bench: 'shipper_to_store', fsync: FSYNC };
const md: string[] = ['## Shipper end to end (`bench/e2e/shipper_to_store.ts`)', '', `Hardware: ${hw}.`, `Workload: ${work}.`, '', '| stage | figure |', '|---|---|'];
if (STAGES.has('pipeline')) {
  const p = await pipeline(input);
  out.pipeline = p;
  console.log(`pipeline (read→parse→batch→encode, in process): ${fmt(p.lines_per_s)} lines/s, ${fmt(p.cpu_s_per_million_lines, 2)} CPU-s per million lines, peak RSS ${fmt(p.peak_rss_mb)} MB`);
  md.push(`| shipper pipeline alone (read→parse→batch→encode) | ${fmt(p.lines_per_s)} lines/s, ${fmt(p.cpu_s_per_million_lines, 2)} CPU-s/M lines, peak RSS ${fmt(p.peak_rss_mb)} MB |`);
}
if (STAGES.has('null')) {
  const n = await nullHub(input);
  out.null_hub = n;
  console.log(`null hub (real shipper, ack-only server): ${fmt(n.lines_per_s)} lines/s, shipper ${fmt(n.shipper_cpu_s_per_million_lines, 2)} CPU-s per million lines, peak RSS ${fmt(n.shipper_peak_rss_mb)} MB`);
  md.push(`| real shipper → ack-only server (spool fsync, ws, acks; no store) | ${fmt(n.lines_per_s)} lines/s, shipper ${fmt(n.shipper_cpu_s_per_million_lines, 2)} CPU-s/M lines, shipper peak RSS ${fmt(n.shipper_peak_rss_mb)} MB |`);
}
let rs: RsyslogResult | undefined;
if (STAGES.has('backfill')) {
  const runs = [];
  const rsRuns: RsyslogResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await backfill(input));
    // rsyslog on the same input, interleaved with logwire's runs so both see the same machine.
    if (STAGES.has('rsyslog')) {
      const dir = mkdtempSync(join(tmpdir(), 'lw-rsyslog-'));
      try {
        const r = await runRsyslog(dir, input.path, nonEmptyLines(input.path));
        console.log(`rsyslog run ${i + 1}: ${fmt(r.lines_per_s)} lines/s (${fmt(r.lines)} lines), ${r.cpu_s_per_million_lines.toFixed(2)} CPU-s/M lines`);
        rsRuns.push(r);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const b = medianOf(runs);
  if (rsRuns.length > 0) rs = medianOf(rsRuns as unknown as Array<Record<string, number>>) as unknown as RsyslogResult;
  out.backfill = b;
  out.rsyslog = rs;
  console.log(`backfill: ${fmt(b.lines_per_s)} lines/s, ${b.mb_per_s.toFixed(1)} MB/s, ${b.seconds.toFixed(2)} s`);
  console.log(`cpu: ${b.cpu_s_per_million_lines.toFixed(2)} CPU-s per million lines (shipper ${b.shipper_cpu_s.toFixed(2)} s, hub ${b.hub_cpu_s.toFixed(2)} s)`);
  console.log(`peak rss: shipper ${b.shipper_peak_rss_mb.toFixed(0)} MB, hub ${b.hub_peak_rss_mb.toFixed(0)} MB`);
  md.push(`| backfill into a real hub (acked, durable; median of ${RUNS}) | ${fmt(b.lines_per_s)} lines/s, ${b.mb_per_s.toFixed(1)} MB/s; ${b.cpu_s_per_million_lines.toFixed(2)} CPU-s/M lines incl. the hub's indexer until caught up (shipper ${fmt((b.shipper_cpu_s * 1e6) / b.lines, 2)}, hub ${fmt((b.hub_cpu_s * 1e6) / b.lines, 2)}); index catch-up ${b.catch_up_s.toFixed(2)} s; peak RSS shipper ${fmt(b.shipper_peak_rss_mb)} MB, hub ${fmt(b.hub_peak_rss_mb)} MB |`);
  if (rs) {
    md.push(`| rsyslog imfile → omfwd TCP → imtcp → omfile, same input, same run (no acks, no fsync; median of ${RUNS}) | ${fmt(rs.lines_per_s)} lines/s; ${rs.cpu_s_per_million_lines.toFixed(2)} CPU-s/M lines; peak RSS sender ${fmt(rs.sender_peak_rss_mb)} MB, receiver ${fmt(rs.receiver_peak_rss_mb)} MB |`);
    md.push(`| logwire ÷ rsyslog | ${(b.lines_per_s / rs.lines_per_s).toFixed(2)}× the lines/s (target 1.6×), ${(b.cpu_s_per_million_lines / rs.cpu_s_per_million_lines).toFixed(2)}× the CPU per line |`);
  }
}
if (STAGES.has('trickle')) {
  const t = await trickle();
  out.trickle = t;
  console.log(`trickle: ${fmt(t.rate)} lines/s for ${t.seconds} s: write→stored p50 ${t.p50_ms.toFixed(1)} ms, p99 ${t.p99_ms.toFixed(1)} ms, max ${t.max_ms.toFixed(1)} ms`);
  md.push(`| trickle ${fmt(t.rate)} lines/s for ${t.seconds} s, write→stored | p50 ${t.p50_ms.toFixed(1)} ms, p99 ${t.p99_ms.toFixed(1)} ms, max ${t.max_ms.toFixed(1)} ms |`);
}
md.push('', 'Targets (issue 9): file → shipper → hub ≥ 550,000 lines/s acked and fsync-durable (1.6× rsyslog in the same run), ≤ 2.9 CPU-s per million lines counting the indexer until caught up, hub peak RSS ≤ 200 MB. (Issue 4: shipper peak RSS ≤ 64 MB.) The pipeline and null-hub rows are the shipper\'s own cost.');
console.log(JSON.stringify(out));
writeSection('shipper-e2e', md.join('\n'));
