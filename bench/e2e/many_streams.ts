/**
 * Macro benchmark: every HTTP endpoint and the tail at STREAMS distinct streams (issue 8, "50k
 * distinct streams"; target: each under 1 s at 200k), and the memory a stream costs the hub. NOT
 * part of the test suite.
 *
 * Builds a store in process (bench/e2e/many-streams-store.ts: 40 services × STREAMS/40 hosts, one
 * stream each, PER_STREAM records per stream), then starts the real hub process (dist/hub/main.js)
 * on it and times each endpoint over HTTP (median of RUNS after one warm-up; DELETE that deletes
 * nothing, the NDJSON export and the tail replay included). Bytes per stream = (anonymous RSS of
 * the hub on this store − anonymous RSS of a hub on an empty store) / STREAMS, both read right
 * after start-up.
 *
 * Run:  npm run build && node dist/bench/e2e/many_streams.js
 * Knobs (env): STREAMS=200000 PER_STREAM=2 RUNS=5
 * Writes its section of bench/RESULTS.md ("many-streams").
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { openStore } from '../../hub/store/store.js';
import { fillManyStreams, streamLabels } from './many-streams-store.js';
import { startHubProc, type HubProc } from './hub-process.js';
import { machine, median, writeSection } from './results.js';

const STREAMS = Number(process.env.STREAMS ?? 200_000);
const PER_STREAM = Number(process.env.PER_STREAM ?? 2);
const RUNS = Number(process.env.RUNS ?? 5);

function rssAnonBytes(pid: number): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Anonymous RSS of a freshly started hub on `dir`, after a short settle. */
async function idleRss(dir: string): Promise<number> {
  const hub = await startHubProc([], { dataDir: dir });
  try {
    await fetch(`${hub.url}/health`);
    await new Promise((r) => setTimeout(r, 2000));
    return rssAnonBytes(hub.pid);
  } finally {
    await hub.stop();
  }
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

/** Opens a tail replaying after `id`; resolves when the first records frame arrives. */
function tailReplay(hub: HubProc, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${hub.wsUrl}/v1/tail?format=json&after=${id}`, { headers: { authorization: `Bearer ${hub.token}` } });
    ws.on('message', (d: Buffer) => {
      if (JSON.parse(d.toString()).type !== 'records') return;
      ws.close();
      resolve();
    });
    ws.once('error', reject);
  });
}

async function endpoints(hub: HubProc): Promise<Array<[string, number]>> {
  const call = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(`${hub.url}${path}`, { ...init, headers: { authorization: `Bearer ${hub.token}`, ...init.headers } });
    const body = await r.text();
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${body}`);
    return body;
  };
  const { service, host } = streamLabels(STREAMS >> 1);
  const newest = JSON.parse(await call('/logs?limit=50')).logs as Array<{ id: string }>;
  const out: Array<[string, number]> = [];
  const time = async (name: string, fn: () => Promise<unknown>) => out.push([name, await timeMs(fn)]);
  await time('GET /logs (newest 100)', () => call('/logs'));
  await time(`GET /logs?service=`, () => call(`/logs?service=${service}`));
  await time(`GET /logs?host=`, () => call(`/logs?host=${host}`));
  await time('GET /logs?severity=ERROR (no match)', () => call('/logs?severity=ERROR'));
  await time('GET /logs?q= (text)', () => call('/logs?q=latency_ms%3D17'));
  await time('GET /logs?from=&to= (10 min)', () => call(`/logs?from=${Date.now() - 1_800_000}&to=${Date.now() - 1_200_000}`));
  await time('GET /logs?order=asc', () => call('/logs?order=asc'));
  await time('GET /logs/:service', () => call(`/logs/${service}`));
  await time('GET /stats', () => call('/stats'));
  await time('GET /hosts', () => call('/hosts'));
  await time('GET /hosts/:host/logs', () => call(`/hosts/${host}/logs`));
  await time('GET /logs/volume', () => call('/logs/volume'));
  await time('GET /logs NDJSON export (one service)', () => call(`/logs?service=${service}`, { headers: { accept: 'application/x-ndjson' } }));
  await time('GET /logs NDJSON export (limit 10000)', () => call('/logs?limit=10000', { headers: { accept: 'application/x-ndjson' } }));
  await time('DELETE /logs (deletes nothing)', () => call('/logs?before=2000-01-01T00:00:00Z', { method: 'DELETE' }));
  await time('tail after=<id> (first frame)', () => tailReplay(hub, newest[newest.length - 1].id));
  return out;
}

async function main(): Promise<void> {
  const host = machine();
  const empty = mkdtempSync(join(tmpdir(), 'logwire-bench-streams-empty-'));
  const dir = mkdtempSync(join(tmpdir(), 'logwire-bench-streams-'));
  try {
    const t0 = performance.now();
    const store = await openStore({ dir });
    const records = await fillManyStreams(store, STREAMS, PER_STREAM);
    await store.close();
    const buildS = (performance.now() - t0) / 1000;
    const base = await idleRss(empty);
    const loaded = await idleRss(dir);
    const perStream = Math.round((loaded - base) / STREAMS);
    const hub = await startHubProc([], { dataDir: dir });
    let rows: Array<[string, number]>;
    try {
      rows = await endpoints(hub);
    } finally {
      await hub.stop();
    }
    const worst = Math.max(...rows.map((r) => r[1]));
    const json = { bench: 'many_streams', streams: STREAMS, records, bytes_per_stream: perStream, worst_ms: +worst.toFixed(1), ms: Object.fromEntries(rows.map(([k, v]) => [k, +v.toFixed(1)])), load_avg_end: +loadavg()[0].toFixed(2) };
    const md = [
      '## Many streams (issue 8) — `bench/e2e/many_streams.ts`',
      '',
      `Hardware: ${host}; load average ${loadavg()[0].toFixed(2)} at the end. Store: ${STREAMS.toLocaleString('en')} streams (40 services × ${(STREAMS / 40).toLocaleString('en')} hosts), ${records.toLocaleString('en')} records, built in process in ${buildS.toFixed(0)} s; then the hub process on it, one HTTP client on the same machine. Medians of ${RUNS} runs after one warm-up. Target: every endpoint under 1 s at 200k streams.`,
      '',
      '| endpoint | ms |',
      '|---|---|',
      ...rows.map(([k, v]) => `| ${k} | ${v.toFixed(1)} |`),
      '',
      'Before this work (main at 34695b6, same bench): a DELETE that deletes nothing did not answer within 300 s at 200k streams (17 s at 50k), and indexing a commit group of more than ~30k streams overflowed the call stack.',
      '',
      `Memory: ${perStream.toLocaleString('en')} bytes of anonymous RSS per stream (hub on this store ${(loaded / 2 ** 20).toFixed(0)} MiB, on an empty store ${(base / 2 ** 20).toFixed(0)} MiB, both right after start-up).`,
      '',
      `\`${JSON.stringify(json)}\``,
    ].join('\n');
    console.log(md);
    writeSection('many-streams', md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
