import { describe, expect, it } from 'vitest';
import type { WireRecord } from '../../../hub/protocol/frames.js';
import type { RecordFilter } from '../../../hub/filter/filter.js';
import { InvalidCursorError } from '../../../hub/store/store.js';
import { makeId } from '../../../hub/protocol/ids.js';
import type { Store } from '../../../hub/store/types.js';
import { collect, makeRecords, tempStore } from '../../helpers/store.js';
import { modelQuery } from './model.js';

async function fill(store: Store, seed: number, batches: number, size: number): Promise<WireRecord[]> {
  const out: WireRecord[] = [];
  for (let b = 0; b < batches; b++) {
    // A few concurrent appends per round so groups hold several appends and many streams.
    const res = await Promise.all([0, 1, 2].map((k) => store.append(makeRecords(seed * 1000 + b * 10 + k, size, (b * 3 + k) * size))));
    for (const r of res) if (!r.duplicate) out.push(...r.records);
  }
  return out;
}

const ids = (rs: WireRecord[]) => rs.map((r) => r.id);

const FILTERS: Array<[string, (all: WireRecord[]) => RecordFilter]> = [
  ['none', () => ({})],
  ['service', () => ({ services: new Set(['auth']) })],
  ['service+severity', () => ({ services: new Set(['payments']), severities: new Set(['ERROR', 'FATAL'] as const) })],
  ['host', () => ({ hosts: new Set(['host-1']) })],
  ['file by path', () => ({ files: new Set(['/var/log/app-0.log']) })],
  ['file by basename', () => ({ files: new Set(['app-1.log']) })],
  ['event time range', (all) => ({ from: all[0].ts - 20_000, to: all[0].ts + 20_000 })],
  ['receive time range', (all) => ({ receivedFrom: all[Math.floor(all.length / 3)].rts, receivedTo: all[Math.floor((2 * all.length) / 3)].rts })],
  ['q', () => ({ q: 'timeout', qRegex: /timeout/i })],
  ['q mixed case', () => ({ q: 'order paid', qRegex: /order paid/i })],
  ['q non-ascii', () => ({ q: 'café', qRegex: /café/i })],
  ['q short', () => ({ q: 'db', qRegex: /db/i })],
  ['regex', () => ({ regex: /status=5\d\d .*retry/ })],
  ['few streams (k-way merge)', () => ({ services: new Set(['auth']), severities: new Set(['ERROR'] as const), hosts: new Set(['host-1']) })],
  ['few streams + q', () => ({ services: new Set(['api']), severities: new Set(['INFO', 'DEBUG'] as const), hosts: new Set(['host-0']), q: 'retry', qRegex: /retry/i })],
  ['few streams + time', (all) => ({ services: new Set(['search']), severities: new Set(['WARN'] as const), from: all[0].ts - 30_000, to: all[0].ts + 30_000 })],
  ['few streams + receive time', (all) => ({ services: new Set(['payments']), severities: new Set(['TRACE'] as const), receivedFrom: all[Math.floor(all.length / 2)].rts })],
  ['q + labels + time', (all) => ({ services: new Set(['search', 'api']), q: 'miss', qRegex: /miss/i, from: all[0].ts - 50_000 })],
];

// Once with the indexer running (records move from the log into chunks while the test runs) and
// once without it (every record read back from the log tail: store/log-tail.ts).
for (const [mode, options] of [['indexed', {}], ['log only', { index: false }]] as const) {
describe(`store (${mode})`, () => {
  it('store - append returns records with ids in id order, rts and all fields', async () => {
    const { store } = await tempStore(undefined, options);
    const recs = makeRecords(1, 50);
    const res = await store.append(recs);
    expect(res.duplicate).toBe(false);
    if (res.duplicate) return;
    expect(res.records).toHaveLength(50);
    const sorted = [...ids(res.records)].sort();
    expect(ids(res.records)).toEqual(sorted);
    res.records.forEach((w, i) => {
      expect(w).toMatchObject({ ...recs[i] });
      expect(w.id).toMatch(/^[0-9a-v]{24}$/);
      expect(w.rts).toBeGreaterThan(0);
    });
    expect(store.lastId()).toBe(res.records[49].id);
  });

  it('store - query round trip matches the model for every filter and both orders', async () => {
    const { store } = await tempStore(undefined, options);
    const all = await fill(store, 2, 6, 120);
    expect(all.length).toBe(6 * 3 * 120);
    for (const [name, mk] of FILTERS) {
      const f = mk(all);
      for (const order of ['asc', 'desc'] as const) {
        const got = collect(store.query(f, { order }));
        expect(got, `${name} ${order}`).toEqual(modelQuery(all, f, { order }));
        const lim = collect(store.query(f, { order, limit: 7 }));
        expect(ids(lim), `${name} ${order} limit`).toEqual(ids(modelQuery(all, f, { order, limit: 7 })));
      }
    }
  });

  it('store - cursor paging covers every match exactly once, both orders, every filter', async () => {
    const { store } = await tempStore(undefined, options);
    const all = await fill(store, 3, 5, 100);
    for (const [name, mk] of FILTERS) {
      const f = mk(all);
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let after: string | undefined;
        for (let page = 0; page < 1000; page++) {
          const got = collect(store.query(f, { order, after, limit: 37 }));
          if (got.length === 0) break;
          seen.push(...ids(got));
          after = got[got.length - 1].id;
        }
        expect(seen, `${name} ${order}`).toEqual(ids(modelQuery(all, f, { order })));
      }
    }
  });

  it('store - accepts cursors from a foreign hub tag and orders by (rts, tag, lseq)', async () => {
    const { store } = await tempStore(undefined, options);
    const all = await fill(store, 4, 4, 50);
    const rtsValues = [...new Set(all.map((r) => r.rts))];
    const probes = [0, 1, 2 ** 40];
    for (const rts of rtsValues) probes.push(rts - 1, rts, rts + 1);
    for (const rts of probes) {
      for (const tag of ['00000', 'vvvvv', all[0].id.slice(9, 14).replace(/.$/, (c) => (c === '0' ? '1' : '0'))]) {
        const foreign = makeId(rts, tag, 12345);
        for (const order of ['asc', 'desc'] as const) {
          const got = ids(collect(store.query({}, { order, after: foreign })));
          expect(got, `${foreign} ${order}`).toEqual(ids(modelQuery(all, {}, { order, after: foreign })));
          const svc = { services: new Set(['auth']) };
          expect(ids(collect(store.query(svc, { order, after: foreign, limit: 5 })))).toEqual(ids(modelQuery(all, svc, { order, after: foreign, limit: 5 })));
        }
      }
    }
  });

  it('store - rejects a malformed cursor with InvalidCursorError', async () => {
    const { store } = await tempStore(undefined, options);
    await store.append(makeRecords(5, 3));
    expect(() => collect(store.query({}, { order: 'asc', after: 'nope' }))).toThrow(InvalidCursorError);
  });

  it('store - limit 0 and unmatched labels yield nothing', async () => {
    const { store } = await tempStore(undefined, options);
    await store.append(makeRecords(6, 20));
    expect(collect(store.query({}, { order: 'asc', limit: 0 }))).toEqual([]);
    expect(collect(store.query({ services: new Set(['nope']) }, { order: 'desc' }))).toEqual([]);
    expect(collect(store.query({ hosts: new Set(['host-0']), files: new Set(['missing.log']) }, { order: 'desc' }))).toEqual([]);
  });

  it('store - query is lazy: abandoning early is cheap and later records still come', async () => {
    const { store } = await tempStore(undefined, options);
    const all = await fill(store, 7, 3, 100);
    const it = store.query({}, { order: 'asc' })[Symbol.iterator]();
    expect(it.next().value.id).toBe(all[0].id);
    it.return?.();
    expect(collect(store.query({}, { order: 'desc', limit: 1 }))[0].id).toBe(store.lastId());
  });

  it('store - survives reopen: records, ids, stats, hosts, lastId and fresh ids keep sorting after', async () => {
    const { store, dir } = await tempStore(undefined, options);
    const all = await fill(store, 8, 3, 80);
    const stats = store.stats();
    const hosts = store.hosts();
    const lastId = store.lastId();
    const hubId = store.hubId;
    await store.close();
    const { store: again } = await tempStore(dir, options);
    expect(again.hubId).toBe(hubId);
    expect(again.lastId()).toBe(lastId);
    expect(again.stats()).toEqual(stats);
    expect(again.hosts()).toEqual(hosts);
    expect(collect(again.query({}, { order: 'asc' }))).toEqual(modelQuery(all, {}, { order: 'asc' }));
    const more = await again.append(makeRecords(9, 5));
    if (more.duplicate) throw new Error('unexpected duplicate');
    expect(more.records[0].id > lastId!).toBe(true);
  });

  it('store - stats and hosts count every record by service, severity, host and file', async () => {
    const { store } = await tempStore(undefined, options);
    const all = await fill(store, 10, 3, 90);
    const s = store.stats();
    expect(s.total).toBe(all.length);
    const per: Record<string, number> = {};
    const last: Record<string, number> = {};
    for (const r of all) {
      per[r.service] = (per[r.service] ?? 0) + 1;
      last[r.service] = Math.max(last[r.service] ?? 0, r.ts);
    }
    expect(s.perService).toEqual(per);
    expect(s.lastPerService).toEqual(last);
    const pss = s.perServiceSeverity.auth;
    expect(Object.values(pss).reduce((a, b) => a + (b ?? 0), 0)).toBe(per.auth);
    expect(s.perSeverity.ERROR).toBe(all.filter((r) => r.severity === 'ERROR').length);
    const hosts = store.hosts();
    expect(hosts.map((h) => h.host)).toEqual(['host-0', 'host-1', 'host-2']);
    for (const h of hosts) {
      const mine = all.filter((r) => r.host === h.host);
      expect(h.count).toBe(mine.length);
      expect(h.lastTs).toBe(Math.max(...mine.map((r) => r.ts)));
      for (const f of h.files) expect(f.count).toBe(mine.filter((r) => r.file === f.file).length);
    }
  });

  it('store - records without host or file, with fields and truncated flags round-trip', async () => {
    const { store } = await tempStore(undefined, options);
    const res = await store.append([
      { ts: 1, service: 's', severity: 'INFO', message: '' },
      { ts: 2 ** 45, service: 's', severity: 'INFO', message: 'x'.repeat(70_000), truncated: true, fields: { deep: { a: [1, 2, { b: null }] }, big: 2 ** 40 } },
      { ts: 5, service: 's', severity: 'WARN', message: 'emoji 🎉 and \u0000 nul' },
    ]);
    if (res.duplicate) throw new Error('unexpected duplicate');
    expect(collect(store.query({}, { order: 'asc' }))).toEqual(res.records);
    expect(store.hosts()).toEqual([]);
  });
});
}

describe('store iteration', () => {
  it('store - a query iterated across commits and deletes keeps going without errors or duplicates', async () => {
    const { store } = await tempStore();
    const first = await fill(store, 21, 4, 100);
    for (const f of [{}, { services: new Set(['auth']), severities: new Set(['INFO'] as const), hosts: new Set(['host-0']) }] as RecordFilter[]) {
      const it = store.query(f, { order: 'asc' })[Symbol.iterator]();
      const seen: string[] = [];
      for (let k = 0; k < 5; k++) {
        const n = it.next();
        if (!n.done) seen.push(n.value.id);
      }
      await store.append(makeRecords(22, 50));
      await store.deleteBefore(0); // deletes nothing, but commits
      for (let n = it.next(); !n.done; n = it.next()) seen.push(n.value.id);
      expect(new Set(seen).size).toBe(seen.length);
      const expected = ids(modelQuery(first, f, { order: 'asc' }));
      expect(seen.slice(0, expected.length)).toEqual(expected);
    }
  });
});
