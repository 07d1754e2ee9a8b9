/**
 * The NATS permissions docs/nats.md tells operators to set, taken from that page as written:
 * two hubs work as a cluster under them (announcements, history requests and answers, fan-out),
 * a read-only bridge can watch records and nothing else, and any other application can neither
 * inject records nor read a hub's history. No cluster secret here: permissions alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Msg } from 'nats';
import { encode } from '../../../hub/protocol/codec.js';
import { REPO_ROOT, startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { startNats, type TestNats } from '../../helpers/nats.js';
import { waitFor } from '../../helpers/wait.js';
import { allIds, openTail, postLogs } from '../live/tail-client.js';
import { connectAttacker, envelope, goodRecord, type Attacker } from './nats-attacker.js';

const TOKEN = 'admin-token-permissions1';
const PASSWORDS = { HUB_A_PASSWORD: 'hub-a-pw-1', HUB_B_PASSWORD: 'hub-b-pw-2', BRIDGE_PASSWORD: 'bridge-pw-3', ORDERS_PASSWORD: 'orders-pw-4' };
let dir: string;
let nats: TestNats;
let a: TestHub;
let b: TestHub;
let bridge: Attacker;
let app: Attacker;

/** The `# nats-server.conf` block of docs/nats.md. */
function documentedConfig(): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'nats.md'), 'utf8');
  const block = /```\n(# nats-server\.conf\n[\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('docs/nats.md has no nats-server.conf block');
  return block[1];
}

const peers = async (hub: TestHub): Promise<string[]> => ((await (await fetch(`${hub.url}/health`)).json()) as { bus: { peers?: string[] } }).bus.peers ?? [];

beforeAll(async () => {
  dir = tempDir();
  const conf = join(dir, 'nats-server.conf');
  writeFileSync(conf, documentedConfig());
  nats = await startNats({ args: ['-c', conf], env: PASSWORDS });
  const hub = (user: string, password: string) => startTestHub({ tokens: [{ token: TOKEN, scopes: ['admin'] }], config: { nats: nats.url, natsUser: user, natsPassword: password, heartbeatMs: 200 }, start: { fanout: { announceIntervalMs: 300 } } });
  [a, b] = await Promise.all([hub('hub-a', PASSWORDS.HUB_A_PASSWORD), hub('hub-b', PASSWORDS.HUB_B_PASSWORD)]);
  bridge = await connectAttacker(nats.url, { user: 'grafana-bridge', pass: PASSWORDS.BRIDGE_PASSWORD });
  app = await connectAttacker(nats.url, { user: 'orders-app', pass: PASSWORDS.ORDERS_PASSWORD });
  await waitFor(async () => (await peers(a)).length === 1 && (await peers(b)).length === 1, { what: 'the hubs to find each other under the documented permissions' });
});
afterAll(async () => {
  await Promise.all([bridge?.close().catch(() => undefined), app?.close().catch(() => undefined)]);
  await Promise.all([a?.close(), b?.close()]);
  await nats?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bus - the NATS permissions of docs/nats.md', () => {
  it('bus - hubs under the HUB role fan out and answer each other; the bridge watches records; another application injects and reads nothing', async () => {
    const tail = await openTail(b.wsUrl, { service: 'perm' }, TOKEN);
    const watched: Msg[] = [];
    bridge.subscribe('logwire.logs.>', { callback: (_e, m) => watched.push(m) });
    const snooped: Msg[] = [];
    app.subscribe('logwire.logs.>', { callback: (err, m) => { if (!err) snooped.push(m); } }); // refused by the server
    await Promise.all([bridge.flush(), app.flush().catch(() => undefined)]);

    app.publish('logwire.logs.perm.INFO', envelope([goodRecord('perm', 'forged by the app')]));
    bridge.publish('logwire.logs.perm.INFO', envelope([goodRecord('perm', 'forged by the bridge')]));
    const request = encode({ f: {}, order: 'desc', limit: 10, maxBytes: 100_000 });
    const stolen = await app.request(`logwire.history.${a.hub.ctx.store.hubId}`, request, { timeout: 1000 }).then((m) => m.data.byteLength, (e: Error) => e.message);
    expect(String(stolen)).toMatch(/PERMISSIONS_VIOLATION|TIMEOUT|permission/i);

    await postLogs(a.url, TOKEN, [{ service: 'perm', message: 'genuine from a' }]);
    await tail.waitRecords(1);
    await waitFor(() => watched.length > 0, { what: 'the bridge to see the record' });
    expect((await allIds(b.url, TOKEN, { service: 'perm' })).length).toBe(1); // b asked a over NATS
    await postLogs(a.url, TOKEN, [{ service: 'perm', message: 'genuine 2' }]);
    await tail.waitRecords(2);
    expect(tail.records.map((r) => r.message)).toEqual(['genuine from a', 'genuine 2']);
    expect(snooped).toEqual([]);
    await tail.close();
  });
});
