/**
 * The bus contract: one suite, run against both implementations (in-process and NATS). NATS is
 * real: a private nats-server per file, or NATS_URL with a unique subject root per test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../hub/bus/bus.js';
import { subjectMatches } from '../../../hub/bus/bus.js';
import { openLocalBus } from '../../../hub/bus/local-bus.js';
import { openNatsBus } from '../../../hub/bus/nats-bus.js';
import type { WireRecord } from '../../../hub/protocol/frames.js';
import type { Severity } from '../../../hub/protocol/severity.js';
import { startNats, uniqueRoot, type TestNats } from '../../helpers/nats.js';
import { waitFor } from '../../helpers/wait.js';

let seq = 0;
function rec(service: string, severity: Severity, message = `m${seq}`): WireRecord {
  seq++;
  return { id: `id${String(seq).padStart(8, '0')}`, ts: 1_700_000_000_000 + seq, rts: 1_700_000_000_000 + seq, service, severity, message };
}

let nats: TestNats;
beforeAll(async () => { nats = await startNats(); });
afterAll(async () => { await nats?.close(); });

const impls: Array<[string, (root: string) => Promise<Bus>]> = [
  ['local', async (root) => openLocalBus({ root })],
  ['nats', async (root) => {
    const bus = openNatsBus({ servers: nats.url, root });
    await waitFor(() => bus.status().ok, { what: 'NATS connection' });
    return bus;
  }],
];

describe.each(impls)('bus contract (%s)', (_name, open) => {
  async function withBus(fn: (bus: Bus, root: string) => Promise<void>): Promise<void> {
    const root = uniqueRoot();
    const bus = await open(root);
    try {
      await fn(bus, root);
    } finally {
      await bus.close();
    }
  }

  it('bus - delivers published records to a wildcard subscriber, grouped by subject, in order', () => withBus(async (bus, root) => {
    const got: Array<{ subject: string; ids: string[] }> = [];
    bus.subscribeRecords(`${root}.logs.*.*`, (records, info) => got.push({ subject: info.subject, ids: records.map((r) => r.id) }));
    await bus.flush();
    const batch = [rec('payments', 'ERROR'), rec('auth', 'INFO'), rec('payments', 'ERROR'), rec('payments', 'INFO')];
    bus.publishRecords(batch);
    await waitFor(() => got.length === 3, { what: 'three groups' });
    const bySubject = Object.fromEntries(got.map((g) => [g.subject, g.ids]));
    expect(bySubject[`${root}.logs.payments.ERROR`]).toEqual([batch[0].id, batch[2].id]);
    expect(bySubject[`${root}.logs.auth.INFO`]).toEqual([batch[1].id]);
    expect(bySubject[`${root}.logs.payments.INFO`]).toEqual([batch[3].id]);
  }));

  it('bus - a narrow subscription receives only its subjects', () => withBus(async (bus, root) => {
    const got: WireRecord[] = [];
    bus.subscribeRecords(`${root}.logs.payments.ERROR`, (records) => got.push(...records));
    bus.subscribeRecords(`${root}.logs.payments.FATAL`, (records) => got.push(...records));
    await bus.flush();
    bus.publishRecords([rec('payments', 'INFO'), rec('payments', 'ERROR'), rec('auth', 'ERROR'), rec('payments', 'FATAL')]);
    await waitFor(() => got.length >= 2);
    expect(got.map((r) => `${r.service}/${r.severity}`).sort()).toEqual(['payments/ERROR', 'payments/FATAL']);
  }));

  it('bus - sanitises service names into one subject token', () => withBus(async (bus, root) => {
    const got: string[] = [];
    bus.subscribeRecords(`${root}.logs.>`, (_records, info) => got.push(info.subject));
    await bus.flush();
    bus.publishRecords([rec('api.v2 gateway*', 'WARN')]);
    await waitFor(() => got.length === 1);
    expect(got[0]).toBe(`${root}.logs.api_v2_gateway_.WARN`);
  }));

  it('bus - carries many records per message', () => withBus(async (bus, root) => {
    const deliveries: number[] = [];
    bus.subscribeRecords(`${root}.logs.*.*`, (records) => deliveries.push(records.length));
    await bus.flush();
    bus.publishRecords(Array.from({ length: 2000 }, () => rec('bulk', 'INFO', 'x'.repeat(100))));
    await waitFor(() => deliveries.reduce((a, b) => a + b, 0) === 2000);
    expect(deliveries.length).toBeLessThanOrEqual(2);
  }));

  it('bus - splits a group larger than max payload and loses nothing', () => withBus(async (bus, root) => {
    let total = 0;
    const ids: string[] = [];
    bus.subscribeRecords(`${root}.logs.*.*`, (records) => { total += records.length; ids.push(...records.map((r) => r.id)); });
    await bus.flush();
    const big = Array.from({ length: 300 }, () => rec('big', 'INFO', 'y'.repeat(8 * 1024)));
    bus.publishRecords(big);
    await waitFor(() => total === 300, { what: '300 big records' });
    expect(ids).toEqual(big.map((r) => r.id));
  }));

  it('bus - unsubscribe stops delivery', () => withBus(async (bus, root) => {
    let n = 0;
    let m = 0;
    const sub = bus.subscribeRecords(`${root}.logs.*.*`, (records) => { n += records.length; });
    bus.subscribeRecords(`${root}.logs.*.*`, (records) => { m += records.length; });
    await bus.flush();
    bus.publishRecords([rec('a', 'INFO')]);
    await waitFor(() => n === 1 && m === 1);
    sub.unsubscribe();
    await bus.flush();
    bus.publishRecords([rec('a', 'INFO')]);
    await waitFor(() => m === 2);
    expect(n).toBe(1);
  }));

  it('bus - a throwing subscriber affects neither the publisher nor other subscribers', () => withBus(async (bus, root) => {
    let n = 0;
    bus.subscribeRecords(`${root}.logs.*.*`, () => { throw new Error('boom'); });
    bus.subscribeRecords(`${root}.logs.*.*`, (records) => { n += records.length; });
    await bus.flush();
    expect(() => bus.publishRecords([rec('a', 'INFO'), rec('b', 'WARN')])).not.toThrow();
    await waitFor(() => n === 2);
  }));

  it('bus - raw publish reaches subscribers on the same bus', () => withBus(async (bus, root) => {
    const got: string[] = [];
    bus.subscribe(`${root}.hubs.*`, (data, subject) => got.push(`${subject}:${Buffer.from(data).toString()}`));
    await bus.flush();
    bus.publish(`${root}.hubs.announce`, Buffer.from('hi'));
    await waitFor(() => got.length === 1);
    expect(got[0]).toBe(`${root}.hubs.announce:hi`);
  }));

  it('bus - request/reply: answer, no responders, failure, timeout', () => withBus(async (bus, root) => {
    bus.serve(`${root}.echo`, (data) => Buffer.concat([Buffer.from('re:'), data]));
    bus.serve(`${root}.fail`, () => { throw new Error('cannot answer'); });
    bus.serve(`${root}.slow`, () => new Promise((r) => setTimeout(() => r(Buffer.from('late')), 2000)));
    await bus.flush();
    const ok = await bus.request(`${root}.echo`, Buffer.from('x'), 2000);
    expect(ok.ok && Buffer.from(ok.data).toString()).toBe('re:x');
    const none = await bus.request(`${root}.nobody`, Buffer.from('x'), 2000);
    expect(none).toMatchObject({ ok: false, code: 'no_responders' });
    const failed = await bus.request(`${root}.fail`, Buffer.from('x'), 2000);
    expect(failed).toMatchObject({ ok: false, code: 'failed', message: 'cannot answer' });
    const slow = await bus.request(`${root}.slow`, Buffer.from('x'), 100);
    expect(slow).toMatchObject({ ok: false, code: 'timeout' });
  }));

  it('bus - status is ok while usable and publishing after close is a no-op', async () => {
    const bus = await open(uniqueRoot());
    expect(bus.status().ok).toBe(true);
    expect(bus.maxPayloadBytes()).toBeGreaterThan(64 * 1024);
    await bus.close();
    expect(bus.status().ok).toBe(false);
    expect(() => bus.publishRecords([rec('a', 'INFO')])).not.toThrow();
  });
});

describe('subjectMatches', () => {
  it('subjects - matches * and > like NATS', () => {
    expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.*', 'a.b.c')).toBe(false);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.b', 'a.b')).toBe(true);
    expect(subjectMatches('a.b.c', 'a.b')).toBe(false);
  });
});
