/**
 * The shipper's footprint on a host (issue 10). NOT part of the test suite.
 *
 * What it measures, always the real logwire-shipper process into an ack-only server
 * (null-hub.ts), so the figures are the shipper's own:
 *   1. floor: peak RSS (VmHWM) of an idle `node` and of an idle node that has loaded the
 *      shipper's modules: the part of the shipper's memory that is the runtime itself.
 *   2. idle: FILES_IDLE (100) files watched by one glob, none changing: CPU as % of one core over
 *      IDLE_SECONDS (20), after the initial lines are acked.
 *   3. live: LIVE_RATE (10,000) lines/s appended to 1 file for LIVE_SECONDS (10): write→acked
 *      p50/p99/max (perf_hooks histogram; writer and ack-only server share one clock), CPU-s per
 *      million lines, peak RSS.
 *   4. many: the same load spread over 10 busy files among MANY_FILES (1,000) matched by globs,
 *      and the same 10 busy files alone: the two rows should be within 20 %.
 * How to run:  npm run build && node dist/bench/e2e/shipper_footprint.js
 *   Knobs: FILES_IDLE, IDLE_SECONDS, LIVE_RATE, LIVE_SECONDS, MANY_FILES, STAGES (comma list of
 *   floor,idle,live,many), plus FSYNC / SHIPPER_ARGS / NODE_ARGS (shipper-process.ts).
 * Prints figures and one JSON line; writes the `shipper-footprint` section of bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { startNullHub } from './null-hub.js';
import { startShipper } from './shipper-process.js';
import { cpuSeconds, machine, peakRssMb, percentilesMs, REPO_ROOT, writeSection } from './results.js';

const FILES_IDLE = Number(process.env.FILES_IDLE ?? 100);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 20);
const LIVE_RATE = Number(process.env.LIVE_RATE ?? 10_000);
const LIVE_SECONDS = Number(process.env.LIVE_SECONDS ?? 10);
const MANY_FILES = Number(process.env.MANY_FILES ?? 1000);
const STAGES = new Set((process.env.STAGES ?? 'floor,idle,live,many').split(','));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean, what: string, timeoutMs = 120_000) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

/** VmHWM of a node process that runs `code` and then idles for a second. */
async function floorOf(code: string): Promise<number> {
  const p = spawn(process.execPath, ['--input-type=module', '-e', `${code}; setTimeout(() => {}, 1500);`], { cwd: REPO_ROOT, stdio: 'ignore' });
  await sleep(1200);
  const mb = peakRssMb(p.pid!) ?? NaN;
  p.kill();
  return mb;
}

async function floor() {
  const bare = await floorOf('');
  const mods = ['pipeline', 'config', 'check', 'simulate', 'status', 'log'].map((m) => `await import('./dist/shipper/${m}.js')`).join('; ');
  const withModules = await floorOf(`await import('yargs'); ${mods}`);
  return { bare_node_mb: bare, node_with_shipper_modules_mb: withModules };
}

async function idle() {
  const dir = mkdtempSync(join(tmpdir(), 'lw-idle-'));
  const hub = await startNullHub();
  try {
    mkdirSync(join(dir, 'logs'));
    for (let i = 0; i < FILES_IDLE; i++) writeFileSync(join(dir, 'logs', `f${i}.log`), `2024-05-01T10:00:00Z INFO idle file ${i}\n`);
    const shipper = startShipper(hub.url, 't', join(dir, 'logs', '*.log'), join(dir, 'state'));
    await until(() => hub.stored >= FILES_IDLE, 'the initial lines');
    await sleep(2000); // rotate-wait and checkpoint timers settle
    const c0 = cpuSeconds(shipper.pid!) ?? NaN;
    await sleep(IDLE_SECONDS * 1000);
    const used = (cpuSeconds(shipper.pid!) ?? NaN) - c0;
    const rss = peakRssMb(shipper.pid!) ?? NaN;
    shipper.kill('SIGTERM');
    await new Promise((r) => shipper.once('exit', r));
    return { files: FILES_IDLE, seconds: IDLE_SECONDS, cpu_percent_of_core: (used * 100) / IDLE_SECONDS, peak_rss_mb: rss };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** LIVE_RATE lines/s spread over `busy` of `total` files (all matched by globs) into the ack-only server. */
async function live(total: number, busy: number) {
  const dir = mkdtempSync(join(tmpdir(), 'lw-live-'));
  const written: number[] = [];
  const hist = createHistogram();
  let acked = 0;
  const hub = await startNullHub((records) => {
    const now = performance.now();
    for (const r of records) {
      const i = Number(/ line (\d+) /.exec(r.message)?.[1]);
      if (Number.isFinite(i) && written[i] !== undefined) {
        hist.record(Math.max(1, Math.round((now - written[i]) * 1e6)));
        acked++;
      }
    }
  });
  try {
    // Files in 10 directories (a glob each), the busy ones spread over them.
    const dirs = Array.from({ length: 10 }, (_, d) => join(dir, `app${d}`));
    for (const d of dirs) mkdirSync(d);
    const files = Array.from({ length: total }, (_, i) => join(dirs[i % 10], `f${i}.log`));
    for (const f of files) writeFileSync(f, '');
    const busyFiles = files.slice(0, busy);
    const shipper = startShipper(hub.url, 't', join(dir, 'app*', '*.log'), join(dir, 'state'));
    appendFileSync(busyFiles[0], `${new Date().toISOString()} INFO warm-up\n`);
    await until(() => hub.stored >= 1, 'the warm-up line');
    const c0 = cpuSeconds(shipper.pid!) ?? NaN;
    const totalLines = LIVE_RATE * LIVE_SECONDS;
    const start = performance.now();
    let i = 0;
    while (i < totalLines) {
      const due = Math.min(totalLines, Math.floor(((performance.now() - start) / 1000) * LIVE_RATE));
      const perFile = new Map<string, string>();
      const now = performance.now();
      for (; i < due; i++) {
        written[i] = now;
        const f = busyFiles[i % busy];
        perFile.set(f, `${perFile.get(f) ?? ''}${new Date().toISOString()} INFO [live] line ${i} user=u_1 took=3ms\n`);
      }
      for (const [f, text] of perFile) appendFileSync(f, text);
      await sleep(2);
    }
    await until(() => acked >= totalLines, 'every live line acked', 60_000);
    const cpuS = (cpuSeconds(shipper.pid!) ?? NaN) - c0;
    const rss = peakRssMb(shipper.pid!) ?? NaN;
    shipper.kill('SIGTERM');
    await new Promise((r) => shipper.once('exit', r));
    const p = percentilesMs(hist);
    return { files: total, busy, rate: LIVE_RATE, seconds: LIVE_SECONDS, p50_ms: p.p50, p99_ms: p.p99, max_ms: p.max, cpu_s_per_million_lines: (cpuS * 1e6) / totalLines, peak_rss_mb: rss };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const hw = machine();
console.log(`hardware: ${hw}`);
const out: Record<string, unknown> = { bench: 'shipper_footprint' };
const md = ['## Shipper footprint (`bench/e2e/shipper_footprint.ts`)', '', `Hardware: ${hw}. The real shipper into an ack-only server (spool and checkpoint fsync on).`, '', '| scenario | figure |', '|---|---|'];
if (STAGES.has('floor')) {
  const f = await floor();
  out.floor = f;
  console.log(`floor: bare node ${fmt(f.bare_node_mb)} MB, node with the shipper's modules loaded ${fmt(f.node_with_shipper_modules_mb)} MB (VmHWM)`);
  md.push(`| runtime floor (VmHWM, idle) | bare node ${fmt(f.bare_node_mb)} MB; node with the shipper's modules loaded ${fmt(f.node_with_shipper_modules_mb)} MB |`);
}
if (STAGES.has('idle')) {
  const r = await idle();
  out.idle = r;
  console.log(`idle: ${r.files} files watched, none changing: ${r.cpu_percent_of_core.toFixed(2)} % of a core over ${r.seconds} s, peak RSS ${fmt(r.peak_rss_mb)} MB`);
  md.push(`| idle, ${r.files} files watched, none changing | ${r.cpu_percent_of_core.toFixed(2)} % of one core (over ${r.seconds} s); peak RSS ${fmt(r.peak_rss_mb)} MB |`);
}
const liveRow = (label: string, r: Awaited<ReturnType<typeof live>>) => {
  console.log(`${label}: write→acked p50 ${r.p50_ms.toFixed(1)} ms, p99 ${r.p99_ms.toFixed(1)} ms, max ${r.max_ms.toFixed(1)} ms; ${r.cpu_s_per_million_lines.toFixed(2)} CPU-s per million lines; peak RSS ${fmt(r.peak_rss_mb)} MB`);
  md.push(`| ${label} | write→acked p50 ${r.p50_ms.toFixed(1)} ms, p99 ${r.p99_ms.toFixed(1)} ms, max ${r.max_ms.toFixed(1)} ms; ${r.cpu_s_per_million_lines.toFixed(2)} CPU-s/M lines; peak RSS ${fmt(r.peak_rss_mb)} MB |`);
};
if (STAGES.has('live')) {
  const r = await live(1, 1);
  out.live = r;
  liveRow(`live ${fmt(LIVE_RATE)} lines/s into 1 file for ${LIVE_SECONDS} s`, r);
}
if (STAGES.has('many')) {
  const few = await live(10, 10);
  const many = await live(MANY_FILES, 10);
  out.many = { ten_files: few, many_files: many };
  liveRow(`live ${fmt(LIVE_RATE)} lines/s over 10 files (10 matched)`, few);
  liveRow(`live ${fmt(LIVE_RATE)} lines/s over 10 busy of ${fmt(MANY_FILES)} files matched by globs`, many);
}
md.push('', 'Targets (issue 10): live 10,000 lines/s write→acked p99 ≤ 10 ms; idle < 0.5 % of a core with 100 files; 1,000 files with 10 busy within 20 % of the same load on 10 files; peak RSS ≤ 64 MB (the floor rows say how much of that is Node itself).');
console.log(JSON.stringify(out));
writeSection('shipper-footprint', md.join('\n'));
