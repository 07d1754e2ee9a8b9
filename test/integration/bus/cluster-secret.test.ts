/**
 * `--cluster-secret`: hubs sign what they publish and ignore what is not signed with their
 * secret (docs/nats.md "Signing"). Two signed hubs and one with another secret on a private
 * nats-server; the attacker is a plain nats.js client that can publish and subscribe anywhere
 * (as anyone could on a NATS without permissions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInbox, type Msg } from 'nats';
import { encode } from '../../../hub/protocol/codec.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { startNats, type TestNats } from '../../helpers/nats.js';
import { waitFor } from '../../helpers/wait.js';
import { allIds, openTail, postLogs } from '../live/tail-client.js';
import { connectAttacker, envelope, goodRecord, metric, sigHeaders, type Attacker } from './nats-attacker.js';

const TOKEN = 'admin-token-signed-0001';
const SECRET = 'correct horse battery staple 42';
let nats: TestNats;
let a: TestHub;
let b: TestHub;
let other: TestHub;
let evil: Attacker;

type Health = { bus: { ok: boolean; peers?: string[]; signed?: boolean } };
const health = async (hub: TestHub): Promise<Health> => (await (await fetch(`${hub.url}/health`)).json()) as Health;

function startSignedHub(secret: string): Promise<TestHub> {
  return startTestHub({ tokens: [{ token: TOKEN, scopes: ['admin'] }], config: { nats: nats.url, clusterSecret: secret, heartbeatMs: 200 }, start: { fanout: { announceIntervalMs: 300 } } });
}

const dropped = (hub: TestHub, reason: string): Promise<number> => metric(hub.url, 'logwire_bus_dropped_messages_total', `{reason="${reason}"}`);

beforeAll(async () => {
  nats = await startNats({ needsRestart: true });
  [a, b, other] = await Promise.all([startSignedHub(SECRET), startSignedHub(SECRET), startSignedHub('another secret entirely, 1234')]);
  await waitFor(async () => (await health(a)).bus.peers?.length === 1 && (await health(b)).bus.peers?.length === 1, { what: 'the signed hubs to find each other' });
  evil = await connectAttacker(nats.url, { noEcho: true }); // it captures only what hubs send
});
afterAll(async () => {
  await evil?.close();
  await Promise.all([a?.close(), b?.close(), other?.close()]);
  await nats?.close();
});

describe('cluster - signed with --cluster-secret', () => {
  it('cluster - hubs with the same secret merge history and tails; a hub with another secret is not a peer', async () => {
    expect((await health(a)).bus).toMatchObject({ ok: true, signed: true, peers: [b.hub.ctx.store.hubId] });
    expect((await health(other)).bus.peers).toEqual([]);
    const onB = await openTail(b.wsUrl, { service: 'signed' }, TOKEN);
    await postLogs(a.url, TOKEN, [{ service: 'signed', message: 'from a' }]);
    await postLogs(b.url, TOKEN, [{ service: 'signed', message: 'from b' }]);
    await postLogs(other.url, TOKEN, [{ service: 'signed', message: 'from the other cluster' }]);
    await onB.waitRecords(2);
    expect((await allIds(a.url, TOKEN, { service: 'signed' })).length).toBe(2);
    expect((await allIds(other.url, TOKEN, { service: 'signed' })).length).toBe(1);
    await waitFor(async () => (await dropped(b, 'bad_signature')) > 0, { what: "b to count the other cluster's messages" });
    expect(onB.records.map((r) => r.message).sort()).toEqual(['from a', 'from b']);
    await onB.close();
    await other.close(); // from here on every bad signature is the attacker's
  });

  it('cluster - an unsigned or forged history request gets no answer: NATS clients cannot read a hub through its request subject', async () => {
    await postLogs(a.url, TOKEN, [{ service: 'secret-stuff', message: 'card 4111' }]);
    const subject = `logwire.history.${a.hub.ctx.store.hubId}`;
    const req = encode({ f: {}, order: 'desc', limit: 100, maxBytes: 100_000 });
    const before = await dropped(a, 'unsigned');
    await expect(evil.request(subject, req, { timeout: 1000 })).rejects.toThrow(/TIMEOUT/i);
    const forgedBefore = await dropped(a, 'bad_signature');
    await expect(evil.request(subject, req, { timeout: 1000, headers: sigHeaders(`v1 ${Date.now()} ${Buffer.alloc(32).toString('base64url')}`) })).rejects.toThrow(/TIMEOUT/i);
    expect(await dropped(a, 'unsigned')).toBe(before + 1);
    expect(await dropped(a, 'bad_signature')).toBeGreaterThan(forgedBefore);
  });

  it('cluster - a captured signed request replayed with the attacker inbox gets no answer', async () => {
    const captured = new Promise<Msg>((resolve) => {
      evil.subscribe(`logwire.history.${a.hub.ctx.store.hubId}`, { max: 1, callback: (_e, m) => resolve(m) });
    });
    await evil.flush();
    void allIds(b.url, TOKEN, { service: 'secret-stuff' }); // b asks a (signed)
    const m = await captured;
    const before = await dropped(a, 'bad_signature');
    // Same bytes, same signature header, the attacker's own inbox as reply subject.
    await expect(evil.request(m.subject, m.data, { timeout: 1000, headers: m.headers, noMux: true, reply: createInbox() })).rejects.toThrow(/TIMEOUT/i);
    expect(await dropped(a, 'bad_signature')).toBe(before + 1);
    // The genuine asker is unaffected.
    expect((await allIds(b.url, TOKEN, { service: 'secret-stuff' })).length).toBe(1);
  });

  it('cluster - forged records and announcements are ignored and counted; a replayed signed message is dropped', async () => {
    const tail = await openTail(b.wsUrl, { service: 'forge' }, TOKEN);
    const capture: Msg[] = [];
    const spy = evil.subscribe('logwire.logs.forge.>', { callback: (_e, m) => capture.push(m) });
    await evil.flush();
    const unsignedBefore = await dropped(b, 'unsigned');
    evil.publish('logwire.logs.forge.INFO', envelope([goodRecord('forge', 'forged, unsigned')]));
    evil.publish('logwire.logs.forge.INFO', envelope([goodRecord('forge', 'forged, bad signature')], 'o2'), { headers: sigHeaders(`v1 ${Date.now()} ${Buffer.alloc(32, 7).toString('base64url')}`) });
    evil.publish('logwire.hubs.announce', encode({ hub: 'hub-evil0-00000000', at: Date.now() }));
    await postLogs(a.url, TOKEN, [{ service: 'forge', message: 'genuine' }]);
    await tail.waitRecords(1);
    await waitFor(() => capture.some((m) => m.headers?.get('Logwire-Sig')), { what: "the attacker to capture a's signed message" });
    const replayedBefore = await dropped(b, 'replayed');
    const genuine = capture.find((m) => m.headers?.get('Logwire-Sig'))!;
    evil.publish(genuine.subject, genuine.data, { headers: genuine.headers });
    await waitFor(async () => (await dropped(b, 'replayed')) === replayedBefore + 1, { what: 'the replay to be counted' });
    await postLogs(a.url, TOKEN, [{ service: 'forge', message: 'genuine 2' }]);
    await tail.waitRecords(2);
    expect(tail.records.map((r) => r.message)).toEqual(['genuine', 'genuine 2']);
    expect(await dropped(b, 'unsigned')).toBeGreaterThanOrEqual(unsignedBefore + 2); // the records message and the announcement
    expect((await health(b)).bus.peers).toEqual([a.hub.ctx.store.hubId]);
    spy.unsubscribe();
    await tail.close();
  });
});
