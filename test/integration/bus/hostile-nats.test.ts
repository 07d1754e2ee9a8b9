/**
 * Whatever arrives from NATS is validated as strictly as ingest, and nothing a NATS client sends
 * can throw into the hub's event loop (docs/nats.md). A private nats-server (with monitoring,
 * so the test can ask which subjects the hub really subscribes to), a real hub in this process,
 * and an attacker that is a plain nats.js client. No cluster secret here: validation alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../../hub/protocol/codec.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { startNats, type TestNats } from '../../helpers/nats.js';
import { waitFor } from '../../helpers/wait.js';
import { allIds, openTail, postLogs } from '../live/tail-client.js';
import { concrete, connectAttacker, envelope, goodRecord, metric, subscribedSubjects, type Attacker } from './nats-attacker.js';

const TOKEN = 'admin-token-hostile-0001';
let nats: TestNats;
let hub: TestHub;
let evil: Attacker;

beforeAll(async () => {
  nats = await startNats({ args: ['-m', '-1'] });
  hub = await startTestHub({ tokens: [{ token: TOKEN, scopes: ['admin'] }], config: { nats: nats.url, heartbeatMs: 200 }, start: { fanout: { announceIntervalMs: 300 } } });
  await waitFor(async () => ((await (await fetch(`${hub.url}/health`)).json()) as { bus: { ok: boolean } }).bus.ok, { what: 'the hub to connect to NATS' });
  evil = await connectAttacker(nats.url);
});
afterAll(async () => {
  await evil?.close();
  await hub?.close();
  await nats?.close();
});

/** Deeply nested arrays: 100k levels of MessagePack fixarray-of-one. */
function deepNesting(levels: number): Uint8Array {
  const b = new Uint8Array(levels + 1).fill(0x91);
  b[levels] = 0xc0;
  return b;
}

const GARBAGE: Array<[string, Uint8Array]> = [
  ['empty', new Uint8Array(0)],
  ['random bytes', Uint8Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)],
  ['truncated map', Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff])],
  ['nil', encode(null)],
  ['a number', encode(42)],
  ['a string', encode('hello')],
  ['an array', encode([1, 2, 3])],
  ['deep nesting', deepNesting(100_000)],
  ['envelope, r not an array', encode({ o: 'x', n: 0, r: 'nope' })],
  ['envelope, n huge', encode({ o: 'x', n: 1e300, r: [] })],
  ['envelope of junk records', envelope([null, 1, 'x', [], { message: { a: 1 } }, { message: 'm', ts: 'soon' }, { __proto__: { message: 'x' } }, { id: 5, message: 'x', fields: 'f' }])],
  ['history request, bad filter', encode({ f: { services: 'payments' }, order: 'asc', limit: 10, maxBytes: 1000 })],
  ['history request, filter lists of maps', encode({ f: { hosts: [{}], severities: ['LOUD'] }, order: 'desc', limit: 1e12, maxBytes: -1 })],
  ['announcement, hub id with wildcards', encode({ hub: 'a.>', at: 0 })],
  ['announcement, hub id a map', encode({ hub: { toString: 1 }, at: 0 })],
];

describe('bus - NATS input is validated as strictly as ingest', () => {
  it('bus - a record lacking message, with a bad type or on the wrong subject is dropped and counted; the valid one reaches the tail', async () => {
    const tail = await openTail(hub.wsUrl, { service: 'forged' }, TOKEN);
    await waitFor(async () => (await subscribedSubjects(nats.monitorUrl!, 'logwire-hub')).some((s) => s.startsWith('logwire.logs.forged.')), { what: 'the tail subscription at the server' });
    const missingBefore = await metric(hub.url, 'logwire_bus_dropped_records_total', '{reason="missing_message"}');
    const bad = [
      { ...goodRecord('forged', 'x'), message: undefined },
      { ...goodRecord('forged', 'x'), message: 12 },
      { ...goodRecord('forged', 'x'), severity: 'LOUD' },
      { ...goodRecord('forged', 'x'), ts: 'yesterday' },
      { ...goodRecord('forged', 'x'), id: '../../etc' },
      { ...goodRecord('forged', 'x'), fields: 'not a map' },
      goodRecord('other-service', 'not on this subject'),
    ];
    evil.publish('logwire.logs.forged.INFO', envelope([...bad, goodRecord('forged', 'the valid one', { extra: 'dropped key' })]));
    await tail.waitRecords(1);
    expect(tail.records.map((r) => r.message)).toEqual(['the valid one']);
    expect(tail.records[0].extra).toBeUndefined();
    await waitFor(async () => (await metric(hub.url, 'logwire_bus_dropped_records_total', '{reason="missing_message"}')) === missingBefore + 1, { what: 'the missing_message count' });
    for (const reason of ['invalid_message', 'invalid_severity', 'invalid_timestamp', 'invalid_id', 'invalid_fields', 'subject_mismatch']) {
      expect(await metric(hub.url, 'logwire_bus_dropped_records_total', `{reason="${reason}"}`), reason).toBeGreaterThanOrEqual(1);
    }
    // The hub is still whole: ingest and the same tail go on.
    await postLogs(hub.url, TOKEN, [{ service: 'forged', message: 'after the attack' }]);
    await tail.waitRecords(2);
    expect(tail.records[1].message).toBe('after the attack');
    await tail.close();
  });

  it('bus - garbage on every subject the hub subscribes to: nothing throws, /health and ingest keep working, all of it is counted', async () => {
    const tail = await openTail(hub.wsUrl, {}, TOKEN); // subscribes to every records subject
    await postLogs(hub.url, TOKEN, [{ service: 'garbage', message: 'before' }]);
    await allIds(hub.url, TOKEN, { service: 'garbage' }); // a history query: the hub may hold an inbox too
    const subjects = await waitFor(async () => {
      const s = await subscribedSubjects(nats.monitorUrl!, 'logwire-hub');
      return s.some((x) => x.includes('.history.')) && s.some((x) => x.includes('.logs.')) && s.some((x) => x.includes('.hubs.')) ? s : undefined;
    }, { what: 'the hub subscriptions' });
    const droppedBefore = await metric(hub.url, 'logwire_bus_dropped_messages_total', '{reason="malformed"}');
    for (const pattern of subjects) {
      const subject = concrete(pattern);
      for (const [, payload] of GARBAGE) {
        evil.publish(subject, payload);
        evil.publish(subject, payload, { reply: 'attacker.inbox' });
      }
    }
    await evil.flush();
    const replies = await Promise.all(GARBAGE.map(([, p]) => evil.request(`logwire.history.${hub.hub.ctx.store.hubId}`, p, { timeout: 2000 }).then((m) => m, (e: Error) => e)));
    // A malformed request is answered with an error (or not at all), never with records.
    for (const r of replies) if (!(r instanceof Error)) expect(r.headers?.get('Logwire-Error')).toBe('1');
    await waitFor(async () => (await metric(hub.url, 'logwire_bus_dropped_messages_total', '{reason="malformed"}')) >= droppedBefore + 10, { what: 'malformed messages to be counted' });

    const health = await fetch(`${hub.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { bus: { ok: boolean; peers: string[] } }).bus).toMatchObject({ ok: true, peers: [] });
    await postLogs(hub.url, TOKEN, [{ service: 'garbage', message: 'after' }]);
    await waitFor(() => tail.records.some((r) => r.message === 'after'), { what: 'the tail to go on' });
    expect(tail.records.filter((r) => r.service !== 'garbage')).toEqual([]);
    expect((await allIds(hub.url, TOKEN, { service: 'garbage' })).length).toBe(2);
    await tail.close();
  });
});
