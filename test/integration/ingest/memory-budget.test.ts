/**
 * The global in-flight budget (README "Memory bounds"): several shippers each pipeline
 * max_inflight large batches at once into the real hub binary. The hub's peak RSS (VmHWM in
 * /proc/<pid>/status, the kernel's high-water mark, so no spike between samples is missed) stays
 * bounded, every batch is acked and stored exactly once, and /health answers meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';
import { encodeFrame } from '../../../hub/protocol/index.js';
import { openStore } from '../../../hub/store/store.js';
import { ensureAdminToken } from '../../../hub/auth/tokens.js';

const CONNECTIONS = 4;
const BATCHES = 8; // = the default max_inflight: each connection fills its window at once
const RECORDS = 14_000; // ~7 MiB of MessagePack per batch (default max_batch_bytes is 8 MiB)
const MiB = 1024 * 1024;

let proc: HubProcess | undefined;
let dir: string;
afterEach(async () => {
  await proc?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function kib(field: 'VmRSS' | 'VmHWM' | 'RssAnon', pid: number): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

function batch(conn: number, seq: number): Buffer {
  const pad = 'x'.repeat(440);
  const records = Array.from({ length: RECORDS }, (_, i) => ({ service: `svc${conn}`, severity: 'INFO', message: `c${conn}-b${seq}-r${i} ${pad}` }));
  return Buffer.from(encodeFrame({ type: 'batch', seq, records }));
}

describe('ingest memory budget', () => {
  it('ingest memory budget - shippers pipelining large batches keep the hub RSS bounded; each batch stored once; /health answers', async () => {
    dir = tempDir();
    const token = ensureAdminToken(dir).token;
    proc = await spawnHub(['--port', '0', '--data', dir]);
    const pid = proc.proc.pid!;
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectIngest(proc!.wsUrl, token)));
    await Promise.all(clients.map((c, i) => handshake(c, `big-${i}`)));
    const baseKiB = kib('VmRSS', pid);
    const frameBytes = batch(0, 1).length;
    expect(frameBytes).toBeGreaterThan(6 * MiB);
    expect(frameBytes).toBeLessThan(8 * MiB);

    // Every connection sends its whole window without waiting for an ack.
    for (let seq = 1; seq <= BATCHES; seq++) clients.forEach((c, i) => c.ws.send(batch(i, seq)));
    const acks = Promise.all(clients.map(async (c) => {
      const seqs: number[] = [];
      for (let n = 0; n < BATCHES; n++) {
        const f = await c.next(120_000);
        if (f.type !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(f)}`);
        expect(f.stored).toBe(RECORDS);
        seqs.push(f.seq);
      }
      return seqs.sort((a, b) => a - b);
    }));
    let peakAnonKiB = 0;
    const sampler = setInterval(() => { peakAnonKiB = Math.max(peakAnonKiB, kib('RssAnon', pid)); }, 10);
    let allAcked = false;
    void acks.then(() => { allAcked = true; }, () => undefined);
    const health = await fetch(`${proc.url}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    const healthDuringLoad = !allAcked;
    expect(await acks).toEqual(clients.map(() => Array.from({ length: BATCHES }, (_, i) => i + 1)));
    clearInterval(sampler);
    const peakKiB = kib('VmHWM', pid);
    const sentMiB = (CONNECTIONS * BATCHES * frameBytes) / MiB;
    console.log(`memory budget: ${CONNECTIONS} connections x ${BATCHES} x ${(frameBytes / MiB).toFixed(1)} MiB = ${sentMiB.toFixed(0)} MiB pipelined; hub RSS ${(baseKiB / 1024).toFixed(0)} MiB idle, peak ${(peakKiB / 1024).toFixed(0)} MiB (anonymous ${(peakAnonKiB / 1024).toFixed(0)} MiB); /health answered ${healthDuringLoad ? 'before' : 'after'} the last ack`);
    // The bound: the idle hub; the raw frames waiting undecoded, each held at most twice (uWS's
    // receive buffer and the queued copy); the 16 MiB budget decoded (~25× its wire size) plus
    // garbage V8 has not collected yet and LMDB's mapped pages: 500 MiB.
    expect(peakKiB / 1024).toBeLessThan(baseKiB / 1024 + 2 * sentMiB + 500);
    for (const c of clients) c.close();
    await proc.stop();
    proc = undefined;

    const store = await openStore({ dir });
    const counts = new Map<string, number>();
    let total = 0;
    for (const r of store.query({}, { order: 'asc' })) {
      const key = r.message.slice(0, r.message.indexOf(' '));
      counts.set(key, (counts.get(key) ?? 0) + 1);
      total++;
    }
    await store.close();
    expect(total).toBe(CONNECTIONS * BATCHES * RECORDS);
    expect(counts.size).toBe(CONNECTIONS * BATCHES * RECORDS);
  }, 300_000);
});
