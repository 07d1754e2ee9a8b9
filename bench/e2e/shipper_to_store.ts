/**
 * End-to-end benchmark: file → logwire-shipper → hub → durable LMDB.
 *
 * What it measures
 *   1. Backfill: a pre-generated, seeded file of LINES lines (default 1,000,000, ~realistic mix
 *      of plain text, pino JSON, access logs and Java stack traces) is shipped from its start
 *      into a hub process on this machine; the clock stops when the hub has stored (acked,
 *      durable) the last record. Reports lines/s, MB/s, CPU-seconds of shipper + hub per
 *      million lines (from /proc/<pid>/stat), and peak RSS of each (VmHWM).
 *   2. Trickle: TRICKLE_RATE lines/s (default 10,000) appended live for TRICKLE_SECONDS
 *      (default 10); write→stored latency p50/p99/max from perf_hooks.createHistogram (the hub
 *      total is polled every 5 ms, so latencies are accurate to ~5 ms).
 *
 * How to run (after `npm run build`):
 *   node --experimental-strip-types bench/e2e/shipper_to_store.ts     (Node ≥ 22.6), or
 *   npx tsc -p . && node dist/bench/e2e/shipper_to_store.js
 *   Knobs: LINES, SEED, TRICKLE_RATE, TRICKLE_SECONDS, FSYNC=0 (shipper spool fsync off),
 *   SHIPPER_ARGS (extra shipper flags, e.g. "--batch-max-records 16384").
 * Prints human-readable figures and one JSON line. Not part of the test suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHistogram } from 'node:perf_hooks';
import { createLineGenerator } from '../../shipper/simulate.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = existsSync(join(here, '..', '..', 'package.json')) ? resolve(here, '..', '..') : resolve(here, '..', '..', '..');
const HUB = join(ROOT, 'dist', 'hub', 'main.js');
const SHIPPER = join(ROOT, 'dist', 'shipper', 'main.js');
const LINES = Number(process.env.LINES ?? 1_000_000);
const SEED = Number(process.env.SEED ?? 7);
const TRICKLE_RATE = Number(process.env.TRICKLE_RATE ?? 10_000);
const TRICKLE_SECONDS = Number(process.env.TRICKLE_SECONDS ?? 10);
const FSYNC = process.env.FSYNC !== '0';
const TICK = 100; // /proc clock ticks per second on Linux

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

function procCpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startHub(data: string): Promise<{ proc: ChildProcess; url: string; token: string }> {
  const proc = spawn(process.execPath, [HUB, '--port', '0', '--data', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) res(m[1]);
    });
    proc.once('exit', (c) => rej(new Error(`hub exited ${c}`)));
  });
  return { proc, url, token: readFileSync(join(data, 'admin.token'), 'utf8').trim() };
}

async function total(url: string, token: string): Promise<number> {
  const r = await fetch(`${url}/stats`, { headers: { authorization: `Bearer ${token}` } });
  return ((await r.json()) as { total: number }).total;
}

function startShipper(url: string, token: string, file: string, state: string): ChildProcess {
  const args = [SHIPPER, '--hub', url.replace(/^http/, 'ws'), '--token', token, '--file', file, '--service', 'bench', '--state-dir', state, '--no-status', '--log-level', 'warn'];
  if (!FSYNC) args.push('--no-fsync');
  if (process.env.SHIPPER_ARGS) args.push(...process.env.SHIPPER_ARGS.split(' ').filter(Boolean));
  return spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function backfill(input: { path: string; records: number; lines: number; bytes: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-'));
  try {
    const hub = await startHub(join(dir, 'hub'));
    const hubCpu0 = procCpuSeconds(hub.proc.pid!);
    const t0 = performance.now();
    const shipper = startShipper(hub.url, hub.token, input.path, join(dir, 'state'));
    let n = 0;
    while ((n = await total(hub.url, hub.token)) < input.records) await new Promise((r) => setTimeout(r, 20));
    const secs = (performance.now() - t0) / 1000;
    const shipCpu = procCpuSeconds(shipper.pid!);
    const hubCpu = procCpuSeconds(hub.proc.pid!) - hubCpu0;
    const res = {
      lines: input.lines, records: n, mb: input.bytes / 1048576, seconds: secs,
      lines_per_s: input.lines / secs, mb_per_s: input.bytes / 1048576 / secs,
      cpu_s_per_million_lines: ((shipCpu + hubCpu) * 1e6) / input.lines,
      shipper_cpu_s: shipCpu, hub_cpu_s: hubCpu,
      shipper_peak_rss_mb: peakRssMb(shipper.pid!), hub_peak_rss_mb: peakRssMb(hub.proc.pid!),
    };
    shipper.kill('SIGKILL');
    hub.proc.kill('SIGKILL');
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function trickle() {
  const dir = mkdtempSync(join(tmpdir(), 'lw-trickle-'));
  try {
    const hub = await startHub(join(dir, 'hub'));
    const file = join(dir, 'live.log');
    writeFileSync(file, '');
    const shipper = startShipper(hub.url, hub.token, file, join(dir, 'state'));
    while ((await fetch(`${hub.url}/health`).catch(() => undefined))?.ok !== true) await new Promise((r) => setTimeout(r, 20));
    const written: number[] = []; // write time (ms, performance clock) of line i
    const hist = createHistogram();
    const totalLines = TRICKLE_RATE * TRICKLE_SECONDS;
    let acked = 0;
    const start = performance.now();
    const poller = (async () => {
      while (acked < totalLines) {
        const n = await total(hub.url, hub.token);
        const now = performance.now();
        for (; acked < n && acked < written.length; acked++) hist.record(Math.max(1, Math.round((now - written[acked]) * 1000)));
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
    hub.proc.kill('SIGKILL');
    return { rate: TRICKLE_RATE, seconds: TRICKLE_SECONDS, p50_ms: hist.percentile(50) / 1000, p99_ms: hist.percentile(99) / 1000, max_ms: hist.max / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const input = await inputFile();
console.log(`input: ${input.lines.toLocaleString('en')} lines (${input.records.toLocaleString('en')} records), ${(input.bytes / 1048576).toFixed(0)} MB, seed ${SEED}; ${cpus().length} cores (${cpus()[0]?.model}); spool fsync ${FSYNC ? 'on' : 'off'}`);
const b = await backfill(input);
console.log(`backfill: ${Math.round(b.lines_per_s).toLocaleString('en')} lines/s, ${b.mb_per_s.toFixed(1)} MB/s, ${b.seconds.toFixed(2)} s`);
console.log(`cpu: ${b.cpu_s_per_million_lines.toFixed(2)} CPU-s per million lines (shipper ${b.shipper_cpu_s.toFixed(2)} s, hub ${b.hub_cpu_s.toFixed(2)} s)`);
console.log(`peak rss: shipper ${b.shipper_peak_rss_mb.toFixed(0)} MB, hub ${b.hub_peak_rss_mb.toFixed(0)} MB`);
const t = await trickle();
console.log(`trickle: ${t.rate.toLocaleString('en')} lines/s for ${t.seconds} s: write→stored p50 ${t.p50_ms.toFixed(1)} ms, p99 ${t.p99_ms.toFixed(1)} ms, max ${t.max_ms.toFixed(1)} ms`);
console.log(JSON.stringify({ bench: 'shipper_to_store', fsync: FSYNC, ...b, trickle: t }));
