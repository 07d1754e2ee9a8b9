/**
 * A hostile peer cannot grow a querying hub's memory beyond a fixed bound (docs/nats.md
 * "Memory bound"). The real hub binary runs as its own process (so its RSS can be read from
 * /proc); the attacker is a plain nats.js client that announces 80 hub ids and answers every
 * history request with the largest valid answer that fits, always saying there is more. Before
 * the byte budgets, one `limit=300` query made the hub hold every peer's 300 records of 60 KB
 * each (1.4 GB here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from '../../../hub/protocol/codec.js';
import { spawnHub, tempDir, writeTokensFile, type HubProcess } from '../../helpers/hub.js';
import { startNats, type TestNats } from '../../helpers/nats.js';
import { waitFor } from '../../helpers/wait.js';
import { postLogs } from '../live/tail-client.js';
import { connectAttacker, goodRecord, metric, type Attacker } from './nats-attacker.js';

const TOKEN = 'admin-token-hostile-peer';
const FAKE_PEERS = 80;
const MESSAGE = 'x'.repeat(60_000);
let nats: TestNats;
let hub: HubProcess;
let evil: Attacker;
let dir: string;
let announcer: NodeJS.Timeout;

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m![1]) / 1024);
}

beforeAll(async () => {
  nats = await startNats({ needsRestart: true });
  dir = tempDir();
  hub = await spawnHub(['--port', '0', '--data', join(dir, 'data'), '--tokens', writeTokensFile(dir, [{ token: TOKEN, scopes: ['admin'] }]), '--nats', nats.url]);
  evil = await connectAttacker(nats.url);
  const ids = Array.from({ length: FAKE_PEERS }, (_, i) => `hub-evil${i}`);
  const announce = () => { for (const hubId of ids) evil.publish('logwire.hubs.announce', encode({ hub: hubId, at: Date.now() })); };
  announce();
  announcer = setInterval(announce, 500);
  // Every fake peer answers with as many valid 60 KB records as fit, and always "more".
  evil.subscribe('logwire.history.*', {
    callback: (_e, m) => {
      const req = decode(m.data);
      const { maxBytes, f } = (req.ok ? req.value : {}) as { maxBytes?: number; f?: { services?: string[] } };
      const records: unknown[] = [];
      for (let bytes = 64; bytes + MESSAGE.length + 200 < (maxBytes ?? 0); bytes += MESSAGE.length + 200) records.push(goodRecord(f?.services?.[0] ?? 'victim', MESSAGE));
      m.respond(encode({ records, more: true }));
    },
  });
  await evil.flush();
  await waitFor(async () => ((await (await fetch(`${hub.url}/health`)).json()) as { bus: { peers?: string[] } }).bus.peers!.length >= 64, { timeoutMs: 15_000, what: 'the hub to track the fake peers' });
});
afterAll(async () => {
  clearInterval(announcer);
  await evil?.close();
  await hub?.stop();
  await nats?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('cluster - a hostile peer answering with huge and endless history', () => {
  it('cluster - limit=300 queries stay within the byte budgets: RSS grows by a bounded amount, the answer is still served', async () => {
    await postLogs(hub.url, TOKEN, [{ service: 'victim', message: 'a local record' }]);
    const baseline = rssMb(hub.proc.pid!, 'VmRSS');
    const query = async () => {
      const res = await fetch(`${hub.url}/logs?service=victim&limit=300`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { count: number }).count;
    };
    // Always answered (never an error); how many peer records fit depends on who answers in time.
    for (let i = 0; i < 3; i++) expect(await query()).toBeGreaterThan(0);
    const counts = await Promise.all([query(), query(), query()]); // concurrent: the hub-wide budget holds
    for (const c of counts) expect(c).toBeGreaterThan(0);
    const peak = rssMb(hub.proc.pid!, 'VmHWM');
    console.log(`hostile peer: RSS ${baseline} MB before, peak ${peak} MB after 6 limit=300 queries against ${FAKE_PEERS} fake peers`);
    expect(peak - baseline).toBeLessThan(400);
    expect(await metric(hub.url, 'logwire_bus_dropped_messages_total', '{reason="too_many_peers"}')).toBeGreaterThan(0);
    const health = await fetch(`${hub.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { bus: { peers: string[] } }).bus.peers.length).toBe(64); // at most 64 peers are tracked
  });
});
