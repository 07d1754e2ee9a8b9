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
 *   4. many: MANY_FILES (1,000) files in 10 directories matched by one glob (`app*\/*.log`):
 *      idle CPU with none changing, then LIVE_RATE lines/s over 10 busy of them for
 *      MANY_SECONDS (5), and the same load over 10 files alone. A comparison table puts each
 *      figure next to the 1-file live and FILES_IDLE idle figures (issue 10: within 20 %).
 *   Live rows give CPU both per million lines and as % of one core (CPU-s over the seconds
 *   from the first write to the last ack).
 * How to run:  npm run build && node dist/bench/e2e/shipper_footprint.js   (about 2 minutes)
 *   Knobs: FILES_IDLE, IDLE_SECONDS, LIVE_RATE, LIVE_SECONDS, MANY_FILES, MANY_SECONDS, STAGES
 *   (comma list of floor,idle,live,many), plus FSYNC / SHIPPER_ARGS / NODE_ARGS (shipper-process.ts).
 *   The load average (start and end) is printed with the figures: on a shared machine the
 *   writer, the ack-only server and the shipper compete for the same cores.
 * Prints figures and one JSON line; writes the `shipper-footprint` section of bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
const MANY_SECONDS = Number(process.env.MANY_SECONDS ?? 5);
/** Busy files in the many-files scenario (issue 10: "10 of them busy"). */
const MANY_BUSY = 10;
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

/** `total` files in `dirCount` directories app0…, all matched by one glob; each file starts with `firstLine(i)`. */
function layFiles(root: string, total: number, dirCount: number, firstLine: (i: number) => string): { glob: string; files: string[] } {
  const dirs = Array.from({ length: dirCount }, (_, d) => join(root, `app${d}`));
  for (const d of dirs) mkdirSync(d);
  const files = Array.from({ length: total }, (_, i) => join(dirs[i % dirCount], `f${i}.log`));
  files.forEach((f, i) => writeFileSync(f, firstLine(i)));
  return { glob: join(root, 'app*', '*.log'), files };
}

/** Stops the shipper with SIGTERM and waits for it to exit. */
async function stopShipper(shipper: ReturnType<typeof startShipper>): Promise<void> {
  shipper.kill('SIGTERM');
  await new Promise((r) => shipper.once('exit', r));
}

/** `files` files in `dirCount` directories watched by one glob, none changing: CPU over IDLE_SECONDS. */
async function idle(files: number, dirCount: number) {
  const dir = mkdtempSync(join(tmpdir(), 'lw-idle-'));
  const hub = await startNullHub();
  try {
    const { glob } = layFiles(dir, files, dirCount, (i) => `2024-05-01T10:00:00Z INFO idle file ${i}\n`);
    const shipper = startShipper(hub.url, 't', glob, join(dir, 'state'));
    await until(() => hub.stored >= files, 'the initial lines');
    await sleep(2000); // rotate-wait and checkpoint timers settle
    const c0 = cpuSeconds(shipper.pid!) ?? NaN;
    await sleep(IDLE_SECONDS * 1000);
    const used = (cpuSeconds(shipper.pid!) ?? NaN) - c0;
    const rss = peakRssMb(shipper.pid!) ?? NaN;
    await stopShipper(shipper);
    return { files, dirs: dirCount, seconds: IDLE_SECONDS, cpu_percent_of_core: (used * 100) / IDLE_SECONDS, peak_rss_mb: rss };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** LIVE_RATE lines/s for `seconds`, spread over `busy` of `total` files (one glob over 10 directories), into the ack-only server. */
async function live(total: number, busy: number, seconds: number) {
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
    // Files in 10 directories, the busy ones spread over them.
    const { glob, files } = layFiles(dir, total, 10, () => '');
    const busyFiles = files.slice(0, busy);
    const shipper = startShipper(hub.url, 't', glob, join(dir, 'state'));
    appendFileSync(busyFiles[0], `${new Date().toISOString()} INFO warm-up\n`);
    await until(() => hub.stored >= 1, 'the warm-up line');
    const c0 = cpuSeconds(shipper.pid!) ?? NaN;
    const totalLines = LIVE_RATE * seconds;
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
    const wallS = (performance.now() - start) / 1000;
    const rss = peakRssMb(shipper.pid!) ?? NaN;
    await stopShipper(shipper);
    const p = percentilesMs(hist);
    return {
      files: total, busy, rate: LIVE_RATE, seconds, p50_ms: p.p50, p99_ms: p.p99, max_ms: p.max,
      cpu_s_per_million_lines: (cpuS * 1e6) / totalLines, cpu_percent_of_core: (cpuS * 100) / wallS, peak_rss_mb: rss,
    };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type IdleResult = Awaited<ReturnType<typeof idle>>;
type LiveResult = Awaited<ReturnType<typeof live>>;

const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const liveFigures = (r: LiveResult) =>
  `write→acked p50 ${r.p50_ms.toFixed(1)} ms, p99 ${r.p99_ms.toFixed(1)} ms, max ${r.max_ms.toFixed(1)} ms; ${r.cpu_s_per_million_lines.toFixed(2)} CPU-s/M lines (${r.cpu_percent_of_core.toFixed(1)} % of a core); peak RSS ${fmt(r.peak_rss_mb)} MB`;
const idleFigures = (r: IdleResult) => `${r.cpu_percent_of_core.toFixed(2)} % of one core (over ${r.seconds} s); peak RSS ${fmt(r.peak_rss_mb)} MB`;

/**
 * The issue-10 comparison: each many-files figure next to its baseline (1 busy file, FILES_IDLE
 * idle files) and next to the same load on 10 files alone, with the ratio to the baseline.
 */
function comparison(many: { idle: IdleResult; ten: LiveResult; spread: LiveResult }, base: { live?: LiveResult; idle?: IdleResult }): string[] {
  const liveBase = base.live ?? many.ten;
  const idleBase = base.idle;
  const ratio = (x: number, b: number | undefined) => (b === undefined || !(b > 0) ? '–' : `${(x / b).toFixed(2)}×`);
  const rows: Array<[string, number | undefined, number, number, number]> = [
    ['write→acked p50 (ms)', liveBase.p50_ms, many.ten.p50_ms, many.spread.p50_ms, 1],
    ['write→acked p99 (ms)', liveBase.p99_ms, many.ten.p99_ms, many.spread.p99_ms, 1],
    ['CPU-s per million lines', liveBase.cpu_s_per_million_lines, many.ten.cpu_s_per_million_lines, many.spread.cpu_s_per_million_lines, 2],
    ['CPU while live (% of a core)', liveBase.cpu_percent_of_core, many.ten.cpu_percent_of_core, many.spread.cpu_percent_of_core, 1],
    ['peak RSS while live (MB, VmHWM)', liveBase.peak_rss_mb, many.ten.peak_rss_mb, many.spread.peak_rss_mb, 0],
  ];
  const baseLabel = base.live ? '1 busy file' : '10 files (no 1-file run)';
  const out = [
    '',
    `### ${fmt(MANY_FILES)} files matched by one glob (\`app*/*.log\`, 10 directories), 10 of them busy`,
    '',
    `| figure | ${baseLabel} | 10 busy of 10 files | 10 busy of ${fmt(MANY_FILES)} files | ÷ ${baseLabel} | ÷ 10 files |`,
    '|---|---|---|---|---|---|',
    ...rows.map(([name, b, ten, spread, d]) => `| ${name} | ${b === undefined ? '–' : b.toFixed(d)} | ${ten.toFixed(d)} | ${spread.toFixed(d)} | ${ratio(spread, b)} | ${ratio(spread, ten)} |`),
    `| idle, none changing (% of a core) | ${idleBase ? `${idleBase.cpu_percent_of_core.toFixed(2)} (${idleBase.files} files)` : '–'} | | ${many.idle.cpu_percent_of_core.toFixed(2)} (${fmt(many.idle.files)} files) | ${ratio(many.idle.cpu_percent_of_core, idleBase?.cpu_percent_of_core)} | |`,
    `| idle peak RSS (MB, VmHWM) | ${idleBase ? fmt(idleBase.peak_rss_mb) : '–'} | | ${fmt(many.idle.peak_rss_mb)} | ${ratio(many.idle.peak_rss_mb, idleBase?.peak_rss_mb)} | |`,
    '',
    `Live runs: ${fmt(LIVE_RATE)} lines/s; ${base.live ? `${base.live.seconds} s for 1 file, ` : ''}${MANY_SECONDS} s for the 10-busy rows.`,
  ];
  return out;
}

const hw = machine();
console.log(`hardware: ${hw}`);
const out: Record<string, unknown> = { bench: 'shipper_footprint' };
const md = ['## Shipper footprint (`bench/e2e/shipper_footprint.ts`)', '', `Hardware: ${hw}. The real shipper into an ack-only server (spool and checkpoint fsync on).`, '', '| scenario | figure |', '|---|---|'];
const row = (label: string, figures: string) => {
  console.log(`${label}: ${figures}`);
  md.push(`| ${label} | ${figures} |`);
};
let idleBase: IdleResult | undefined;
let liveBase: LiveResult | undefined;
if (STAGES.has('floor')) {
  const f = await floor();
  out.floor = f;
  row('runtime floor (VmHWM, idle)', `bare node ${fmt(f.bare_node_mb)} MB; node with the shipper's modules loaded ${fmt(f.node_with_shipper_modules_mb)} MB`);
}
if (STAGES.has('idle')) {
  idleBase = await idle(FILES_IDLE, 1);
  out.idle = idleBase;
  row(`idle, ${idleBase.files} files watched, none changing`, idleFigures(idleBase));
}
if (STAGES.has('live')) {
  liveBase = await live(1, 1, LIVE_SECONDS);
  out.live = liveBase;
  row(`live ${fmt(LIVE_RATE)} lines/s into 1 file for ${LIVE_SECONDS} s`, liveFigures(liveBase));
}
let compared: string[] = [];
if (STAGES.has('many')) {
  const manyIdle = await idle(MANY_FILES, 10);
  const ten = await live(MANY_BUSY, MANY_BUSY, MANY_SECONDS);
  const spread = await live(MANY_FILES, MANY_BUSY, MANY_SECONDS);
  out.many = { idle: manyIdle, ten_files: ten, many_files: spread };
  row(`idle, ${fmt(MANY_FILES)} files watched (one glob, 10 directories), none changing`, idleFigures(manyIdle));
  row(`live ${fmt(LIVE_RATE)} lines/s over ${MANY_BUSY} files (${MANY_BUSY} matched) for ${MANY_SECONDS} s`, liveFigures(ten));
  row(`live ${fmt(LIVE_RATE)} lines/s over ${MANY_BUSY} busy of ${fmt(MANY_FILES)} files matched by one glob for ${MANY_SECONDS} s`, liveFigures(spread));
  compared = comparison({ idle: manyIdle, ten, spread }, { live: liveBase, idle: idleBase });
  console.log(compared.join('\n'));
}
const loadEnd = loadavg()[0].toFixed(2);
out.load_average_end = Number(loadEnd);
console.log(`load average at the end: ${loadEnd}`);
md.push(...compared);
md.push('', `Load average ${loadEnd} at the end.`, '', 'Targets (issue 10): live 10,000 lines/s write→acked p99 ≤ 10 ms; idle < 0.5 % of a core with 100 files; 1,000 files matched by globs with 10 busy: the same figures within 20 %; peak RSS ≤ 64 MB (the floor rows say how much of that is Node itself).');
console.log(JSON.stringify(out));
writeSection('shipper-footprint', md.join('\n'));
