/**
 * The hub's memory bound (README "Memory bounds"): several connections pipeline large batches
 * into the real hub binary, far more than --max-inflight-bytes (decoded at once) plus
 * --max-queued-bytes (waiting undecoded, all connections together) can hold. Past the cap a
 * connection gets an error frame `hub_busy` and close 1013; every client reconnects after a
 * backoff and resends what was not acked, as the shipper does. The hub's peak RSS (VmHWM in
 * /proc/<pid>/status, the kernel's high-water mark, so no spike between samples is missed) stays
 * under a fixed bound, a well-behaved client (one batch at a time) gets everything stored, every
 * record is stored exactly once, and /health answers meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { connectIngest, handshake, type IngestClient } from '../../helpers/ingest-client.js';
import { encodeFrame, type HubFrame } from '../../../hub/protocol/index.js';
import { openStore } from '../../../hub/store/store.js';
import { ensureAdminToken } from '../../../hub/auth/tokens.js';

const FLOODERS = 8;
const FLOOD_BATCHES = 6; // each flooder sends them all at once (under the default max_inflight of 8)
const POLITE_BATCHES = 4; // the well-behaved client sends one, waits for its ack, sends the next
const RECORDS = 14_000; // ~7 MiB of MessagePack per batch (default max_batch_bytes is 8 MiB)
const MiB = 1024 * 1024;
/** The bound this test holds the hub to, with the default budgets (16 MiB inflight, 64 MiB queued). */
const PEAK_RSS_BOUND_MIB = 1024;

let proc: HubProcess | undefined;
let dir: string;
afterEach(async () => {
  await proc?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function kib(field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile', pid: number): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

function batch(client: number, seq: number): Buffer {
  const pad = 'x'.repeat(440);
  const records = Array.from({ length: RECORDS }, (_, i) => ({ service: `svc${client}`, severity: 'INFO', message: `c${client}-b${seq}-r${i} ${pad}` }));
  return Buffer.from(encodeFrame({ type: 'batch', seq, records }));
}

/** The next frame, or null once the hub has closed the connection. */
async function nextOrClosed(c: IngestClient): Promise<HubFrame | null> {
  return Promise.race([c.next(120_000), c.closed.then(() => null)]);
}

/**
 * Ships batches 1..count as a shipper would: `window` unacked at most; on a close, back off,
 * reconnect, and resend from what welcome.acked says is stored. Returns the 1013 closes met.
 */
async function ship(url: string, token: string, client: number, count: number, window: number): Promise<{ busy: number; errors: string[] }> {
  const out = { busy: 0, errors: [] as string[] };
  for (let attempt = 0; attempt < 200; attempt++) {
    const c = await connectIngest(url, token);
    let acked = (await handshake(c, `client-${client}`)).acked;
    if (acked >= count) {
      c.close();
      return out;
    }
    let sent = acked;
    const fill = () => {
      while (sent < count && sent - acked < window) c.ws.send(batch(client, ++sent));
    };
    fill();
    for (;;) {
      const f = await nextOrClosed(c);
      if (f === null) break;
      if (f.type === 'error') out.errors.push(String(f.code));
      else if (f.type === 'ack') {
        acked = Math.max(acked, f.seq);
        if (acked >= count) {
          c.close();
          return out;
        }
        fill();
      }
    }
    const { code } = await c.closed;
    if (code !== 1013) throw new Error(`client ${client}: closed with ${code}, expected 1013 (try again later)`);
    out.busy++;
    await sleep(100 + Math.random() * 400 * Math.min(attempt + 1, 4));
  }
  throw new Error(`client ${client}: not all batches acked after 200 connections`);
}

describe('ingest memory budget', () => {
  it('ingest memory budget - a flood of pipelined batches keeps the hub RSS under the bound (1013 past --max-queued-bytes); a well-behaved client gets everything stored; each record stored once', async () => {
    dir = tempDir();
    const token = ensureAdminToken(dir).token;
    proc = await spawnHub(['--port', '0', '--data', dir]);
    const pid = proc.proc.pid!;
    const frameBytes = batch(0, 1).length;
    expect(frameBytes).toBeGreaterThan(6 * MiB);
    expect(frameBytes).toBeLessThan(8 * MiB);
    const baseKiB = kib('VmRSS', pid);

    const flood = Array.from({ length: FLOODERS }, (_, i) => ship(proc!.wsUrl, token, i, FLOOD_BATCHES, FLOOD_BATCHES));
    const polite = ship(proc.wsUrl, token, FLOODERS, POLITE_BATCHES, 1);
    const peak = { anon: 0, file: 0 };
    const sampler = setInterval(() => {
      peak.anon = Math.max(peak.anon, kib('RssAnon', pid));
      peak.file = Math.max(peak.file, kib('RssFile', pid));
    }, 10);
    let done = false;
    const all = Promise.all([...flood, polite]);
    void all.then(() => { done = true; }, () => undefined);
    await sleep(500);
    const health = await fetch(`${proc.url}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    const healthDuringLoad = !done;
    const results = await all;
    const peakKiB = kib('VmHWM', pid);
    clearInterval(sampler);
    const busy = results.reduce((n, r) => n + r.busy, 0);
    const sentMiB = ((FLOODERS * FLOOD_BATCHES + POLITE_BATCHES) * frameBytes) / MiB;
    console.log(`memory budget: ${FLOODERS} flooders x ${FLOOD_BATCHES} + 1 well-behaved x ${POLITE_BATCHES} batches of ${(frameBytes / MiB).toFixed(1)} MiB (${sentMiB.toFixed(0)} MiB); ${busy} closes with 1013; hub RSS ${(baseKiB / 1024).toFixed(0)} MiB idle, peak ${(peakKiB / 1024).toFixed(0)} MiB (anonymous ${(peak.anon / 1024).toFixed(0)}, file-backed ${(peak.file / 1024).toFixed(0)} sampled; bound ${PEAK_RSS_BOUND_MIB}); /health answered ${healthDuringLoad ? 'during' : 'after'} the load`);
    expect(busy).toBeGreaterThan(0); // the flood did pass the cap
    for (const r of results) for (const code of r.errors) expect(code).toBe('hub_busy');
    expect(peakKiB / 1024).toBeLessThan(PEAK_RSS_BOUND_MIB);
    await proc.stop();
    proc = undefined;

    const store = await openStore({ dir });
    const seen = new Map<string, number>();
    for (const r of store.query({}, { order: 'asc' })) {
      const key = r.message.slice(0, r.message.indexOf(' '));
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    await store.close();
    expect(seen.size).toBe((FLOODERS * FLOOD_BATCHES + POLITE_BATCHES) * RECORDS);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (let seq = 1; seq <= POLITE_BATCHES; seq++) expect(seen.get(`c${FLOODERS}-b${seq}-r0`)).toBe(1);
  }, 300_000);
});
