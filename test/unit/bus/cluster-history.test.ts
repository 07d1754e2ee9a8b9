/**
 * Cluster history's byte budgets and answer checks, with fake peers on the in-process bus (the
 * same Bus interface NATS implements; the NATS path is test/integration/bus/hostile-peer.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openClusterHistory, type ClusterHistory } from '../../../hub/bus/cluster-history.js';
import { openLocalBus, type LocalBus } from '../../../hub/bus/local-bus.js';
import { decode, encode } from '../../../hub/protocol/codec.js';
import type { WireRecord } from '../../../hub/protocol/frames.js';
import { makeId } from '../../../hub/protocol/ids.js';
import { waitFor } from '../../helpers/wait.js';

const now = Date.now();
let lseq = 0;
const record = (service: string, message: string): WireRecord => ({ id: makeId(now, 'peer0', ++lseq), ts: now, rts: now, service, severity: 'INFO', message });

let bus: LocalBus;
let cluster: ClusterHistory;
afterEach(async () => {
  await cluster?.close();
  await bus?.close();
});

/** A fake peer: announces itself and answers every page with `page(maxBytes)`. */
function fakePeer(id: string, page: (maxBytes: number) => { records: unknown[]; more: boolean }, pages: Array<[asked: number, answered: number]> = []): void {
  bus.serve(`${bus.root}.history.${id}`, (data) => {
    const req = decode(data);
    const maxBytes = (req.ok ? (req.value as { maxBytes: number }).maxBytes : 0);
    const answer = encode(page(maxBytes));
    pages.push([maxBytes, answer.byteLength]);
    return answer;
  });
  bus.publish(`${bus.root}.hubs.announce`, encode({ hub: id, at: Date.now() }));
}

function open(opts: Parameters<typeof openClusterHistory>[0] extends infer O ? Partial<O> : never) {
  const cuts: string[] = [];
  const drops: string[] = [];
  cluster = openClusterHistory({
    bus, hubId: 'hub-self', local: { query: async () => [] }, announceIntervalMs: 60_000,
    onAnswerCut: (r) => cuts.push(r), drops: { message: (r) => drops.push(r), record: (r) => drops.push(r) }, ...opts,
  });
  return { cuts, drops };
}

const MESSAGE = 'x'.repeat(10_000);
/** As many 10 KB records as fit in maxBytes, always "more". */
const greedy = (maxBytes: number) => ({ records: Array.from({ length: Math.floor((maxBytes - 100) / 10_100) }, () => record('svc', MESSAGE)), more: true });

describe('cluster-history - hostile peers are held to byte budgets', () => {
  it('cluster-history - one peer is paged only up to its budget; every page asks for no more than is left', async () => {
    bus = openLocalBus();
    const { cuts } = open({ maxPeerAnswerBytes: 200_000, maxQueryPeerBytes: 10_000_000 });
    const pages: Array<[number, number]> = [];
    fakePeer('hub-p1', greedy, pages);
    await waitFor(() => cluster.peers().length === 1, { what: 'the peer' });
    const got = await cluster.query({ filter: {}, order: 'desc', limit: 10_000 });
    expect(got.length).toBeLessThanOrEqual(20);
    expect(got.length).toBeGreaterThan(10);
    let answered = 0;
    for (const [asked, size] of pages) {
      expect(asked).toBeLessThanOrEqual(200_000 - answered);
      answered += size;
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(cuts).toEqual(['peer_budget']);
  });

  it('cluster-history - all peers together are held to the query budget, and queries together to the hub budget', async () => {
    bus = openLocalBus();
    const { cuts } = open({ maxPeerAnswerBytes: 200_000, maxQueryPeerBytes: 300_000, maxHeldPeerBytes: 450_000 });
    for (let i = 0; i < 5; i++) fakePeer(`hub-p${i}`, greedy);
    await waitFor(() => cluster.peers().length === 5, { what: 'the peers' });
    const one = await cluster.query({ filter: {}, order: 'desc', limit: 10_000 });
    expect(one.length * 10_000).toBeLessThanOrEqual(300_000);
    expect(cuts).toContain('query_budget');
    const together = await Promise.all([1, 2, 3].map(() => cluster.query({ filter: {}, order: 'desc', limit: 10_000 })));
    expect(together.reduce((n, part) => n + part.length, 0) * 10_000).toBeLessThanOrEqual(450_000);
  });

  it('cluster-history - an answer over the size asked for, invalid records and records outside the filter are dropped and counted', async () => {
    bus = openLocalBus();
    const { drops } = open({});
    fakePeer('hub-big', (maxBytes) => ({ records: [record('svc', 'y'.repeat(maxBytes + 10))], more: false }));
    fakePeer('hub-odd', () => ({ records: [record('svc', 'kept'), record('other', 'not asked for'), { ...record('svc', 'x'), message: undefined }, 'junk'], more: false }));
    await waitFor(() => cluster.peers().length === 2, { what: 'the peers' });
    const got = await cluster.query({ filter: { services: new Set(['svc']) }, order: 'desc', limit: 100 });
    expect(got.map((r) => r.message)).toEqual(['kept']);
    expect(drops.sort()).toEqual(['answer_too_large', 'filter_mismatch', 'missing_message', 'not_a_map']);
  });

  it('cluster-history - announcements with a bad hub id or beyond the peer cap are ignored', async () => {
    bus = openLocalBus();
    const { drops } = open({ maxPeers: 2 });
    for (const hub of ['a.b', '*', '', 42, 'hub-1', 'hub-2', 'hub-3']) bus.publish(`${bus.root}.hubs.announce`, encode({ hub, at: 0 }));
    expect(cluster.peers().sort()).toEqual(['hub-1', 'hub-2']);
    expect(drops.filter((d) => d === 'malformed').length).toBe(4);
    expect(drops.filter((d) => d === 'too_many_peers').length).toBe(1);
  });
});
