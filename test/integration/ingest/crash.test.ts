/**
 * Exactly-once across hub crashes: the real hub binary is SIGKILLed at random moments while a
 * shipper-like client streams batches; after each restart the client resends every unacked
 * batch with its original seq. At the end every batch is in the store exactly once, and every
 * batch that was ever acked survived.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';
import { openStore } from '../../../hub/store/store.js';
import { ensureAdminToken } from '../../../hub/auth/tokens.js';

const BATCHES = 400;
const PER_BATCH = 50;
const KILLS = 3;

let proc: HubProcess | undefined;
let dir: string;
afterEach(async () => {
  await proc?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function batchRecords(seq: number) {
  return Array.from({ length: PER_BATCH }, (_, i) => ({ service: `svc${seq % 3}`, severity: 'INFO', message: `b${seq}-r${i}` }));
}

describe('ingest crash', () => {
  it('ingest crash - kill -9 of the hub at random moments loses no acked batch and stores none twice', async () => {
    dir = tempDir();
    const token = ensureAdminToken(dir).token;
    let seed = Number(process.env.SEED ?? Date.now() % 100000);
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const everAcked = new Set<number>();
    let next = 1; // next seq never sent yet
    for (let round = 0; round <= KILLS; round++) {
      proc = await spawnHub(['--port', '0', '--data', dir]);
      const c = await connectIngest(proc.wsUrl, token);
      const welcome = await handshake(c, 'crash-shipper');
      // Everything the hub ever acked must still be there after the crash. (Batches stored but
      // whose ack died with the hub are covered by welcome.acked, as a shipper would see it.)
      for (const s of everAcked) expect(s, `acked seq ${s} lost (seed ${seed})`).toBeLessThanOrEqual(welcome.acked);
      for (let s = 1; s <= welcome.acked; s++) everAcked.add(s);
      // Resend every batch after the hub's acked seq (the client's "spool"), then new ones.
      let resend = welcome.acked + 1;
      const killAfter = round < KILLS ? 20 + Math.floor(rand() * 80) : Infinity;
      let acks = 0;
      let inflight = 0;
      const pump = () => {
        while (inflight < welcome.max_inflight && resend <= BATCHES) {
          const seq = resend++;
          c.send({ type: 'batch', seq, records: batchRecords(seq) });
          if (seq >= next) next = seq + 1;
          inflight++;
        }
      };
      pump();
      while (acks < killAfter) {
        const f = await c.next(15_000).catch(() => undefined);
        if (!f) break;
        if (f.type !== 'ack') throw new Error(`unexpected frame ${JSON.stringify(f)}`);
        everAcked.add(f.seq);
        acks++;
        inflight--;
        if (resend > BATCHES && inflight === 0) break;
        pump();
      }
      if (round < KILLS) await proc.kill();
      else await proc.stop();
      c.close();
    }
    proc = undefined;
    expect(everAcked.size).toBe(BATCHES);
    const store = await openStore({ dir });
    const counts = new Map<string, number>();
    for (const r of store.query({}, { order: 'asc' })) counts.set(r.message, (counts.get(r.message) ?? 0) + 1);
    await store.close();
    expect(counts.size, `seed ${seed}`).toBe(BATCHES * PER_BATCH);
    const dupes = [...counts].filter(([, n]) => n !== 1);
    expect(dupes, `seed ${seed}`).toEqual([]);
  }, 120_000);
});
