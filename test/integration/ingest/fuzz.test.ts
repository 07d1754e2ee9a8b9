/**
 * A bounded fuzz of ingest: random frames over the WebSocket and random bodies over HTTP, mixed
 * with good traffic. Afterwards the hub is healthy, every good record is stored exactly once,
 * and the store holds exactly what the hub acknowledged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';
import { encode } from '../../../hub/protocol/codec.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

function rng(seed: number) {
  let s = seed;
  return () => ((s = (s * 48271) % 2147483647) / 2147483647);
}

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 10);
  if (depth > 3) return r();
  switch (k) {
    case 0: return null;
    case 1: return Math.floor(r() * 1e6) - 5e5;
    case 2: return 'x'.repeat(Math.floor(r() * 300));
    case 3: return r() < 0.5;
    case 4: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    case 5: return { message: randomValue(r, depth + 1), service: randomValue(r, depth + 1), severity: randomValue(r, depth + 1), ts: randomValue(r, depth + 1) };
    case 6: return Buffer.from([1, 2, 3]);
    case 7: return { [String(r())]: randomValue(r, depth + 1) };
    case 8: return 'ünïcødé \u0000 \n';
    default: return r() * 1e300;
  }
}

describe('ingest fuzz', () => {
  it('ingest fuzz - random frames and bodies never take the hub down or corrupt stored data', async () => {
    hub = await startTestHub({ config: { maxBatchBytes: 64 * 1024, maxBodyBytes: 64 * 1024 } });
    const seed = Number(process.env.SEED ?? 4242);
    const r = rng(seed);
    let storedByHub = 0;
    const good: string[] = [];
    for (let round = 0; round < 60; round++) {
      const c = await connectIngest(hub.wsUrl, hub.token);
      await handshake(c, `fuzz-${round}`);
      const goodMsg = `good-${round}`;
      c.send({ type: 'batch', seq: 1, records: [{ service: 'fuzz', message: goodMsg }] });
      const ack = await c.next();
      expect(ack).toMatchObject({ type: 'ack', seq: 1, stored: 1 });
      storedByHub += 1;
      good.push(goodMsg);
      // then garbage: random bytes, random maps, random batch contents
      const kind = Math.floor(r() * 3);
      if (kind === 0) c.sendRaw(Buffer.from(Array.from({ length: Math.floor(r() * 200) + 1 }, () => Math.floor(r() * 256))));
      else if (kind === 1) c.sendRaw(encode(randomValue(r)));
      else c.send({ type: 'batch', seq: 2, records: Array.from({ length: 5 }, () => randomValue(r)) as never });
      const f = await c.next().catch(() => undefined);
      if (f?.type === 'ack') storedByHub += f.stored;
      c.close();
      await c.closed;

      const types = ['application/json', 'application/x-ndjson', 'application/msgpack', 'text/plain', ''];
      const type = types[Math.floor(r() * types.length)];
      const body = r() < 0.5 ? JSON.stringify(randomValue(r)) : encode(randomValue(r));
      const res = await fetch(`${hub.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${hub.token}`, 'content-type': type }, body });
      expect([201, 400, 413, 415]).toContain(res.status);
      const json = await res.json();
      expect(typeof json).toBe('object');
      if (res.status === 201) storedByHub += json.saved;
      else expect(typeof json.error).toBe('string');
    }
    const health = await fetch(`${hub.url}/health`);
    expect(health.status).toBe(200);
    const all = [...hub.hub.ctx.store.query({}, { order: 'asc' })];
    expect(all.length, `seed ${seed}`).toBe(storedByHub);
    expect(all.filter((x) => x.service === 'fuzz' && x.message.startsWith('good-')).map((x) => x.message)).toEqual(good);
    expect(new Set(all.map((x) => x.id)).size).toBe(all.length);
  }, 60_000);
});
