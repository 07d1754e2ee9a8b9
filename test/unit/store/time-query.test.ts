import { describe, expect, it } from 'vitest';
import type { WireRecord } from '../../../hub/protocol/frames.js';
import type { ValidRecord } from '../../../hub/protocol/record.js';
import type { RecordFilter } from '../../../hub/filter/filter.js';
import type { Store } from '../../../hub/store/types.js';
import { collect, makeRecords, rng, tempStore } from '../../helpers/store.js';
import { modelEventQuery } from './model.js';

/** Records whose event times jump around (backfill-like), with many exact ties. */
function shuffledTimes(seed: number, count: number, start: number): ValidRecord[] {
  const rand = rng(seed);
  return makeRecords(seed, count, start).map((r) => ({ ...r, ts: 1_700_000_000_000 + Math.floor(rand() * 40) * 1000 * (rand() < 0.2 ? 100 : 1) }));
}

async function fill(store: Store, seed: number, rounds: number): Promise<WireRecord[]> {
  const out: WireRecord[] = [];
  for (let b = 0; b < rounds; b++) {
    const res = await Promise.all([0, 1, 2].map((k) => store.append(shuffledTimes(seed * 100 + b * 10 + k, 60, (b * 3 + k) * 60))));
    for (const r of res) if (!r.duplicate) out.push(...r.records);
  }
  return out;
}

const ids = (rs: WireRecord[]) => rs.map((r) => r.id);

const FILTERS: Array<[string, RecordFilter]> = [
  ['none', {}],
  ['service', { services: new Set(['auth']) }],
  ['service+severity', { services: new Set(['payments']), severities: new Set(['ERROR', 'FATAL'] as const) }],
  ['event time range', { from: 1_700_000_005_000, to: 1_700_000_020_000 }],
  ['q', { q: 'timeout', qRegex: /timeout/i }],
  ['regex', { regex: /status=5\d\d/ }],
];

// Indexed (every record in chunks), log only (every record read from the log tail) and while the
// indexer runs (records move from the log into chunks during the test).
const MODES = [['indexed', {}, true], ['log only', { index: false }, false], ['indexing', {}, false]] as const;
for (const [mode, options, settle] of MODES) {
const open = async (dir?: string) => tempStore(dir, options);
const settled = async (store: Store) => {
  if (settle) await store.indexed();
};
describe(`store time query (${mode})`, () => {
  for (const [name, f] of FILTERS) {
    for (const order of ['asc', 'desc'] as const) {
      it(`store time query - ${name}, ${order}: every match by (timestamp, id), and pages of 7 cover it exactly once`, async () => {
        const { store } = await open();
        const all = await fill(store, 3, 6);
        await settled(store);
        const want = modelEventQuery(all, f, { order });
        expect(ids(collect(store.query(f, { order, by: 'event' })))).toEqual(ids(want));
        expect(ids(collect(store.query(f, { order, by: 'event', limit: 5 })))).toEqual(ids(want.slice(0, 5)));
        const paged: WireRecord[] = [];
        let last: WireRecord | undefined;
        for (;;) {
          const page = collect(store.query(f, { order, by: 'event', limit: 7, after: last?.id, afterTs: last?.ts }));
          paged.push(...page);
          if (page.length < 7) break;
          last = page[page.length - 1];
        }
        expect(ids(paged)).toEqual(ids(want));
      });
    }
  }

  it('store time query - a backfilled old file arriving while paging newest-first is listed once, where its times put it', async () => {
    const { store } = await open();
    const live = makeRecords(11, 300).map((r, i) => ({ ...r, ts: 1_700_000_000_000 + i * 10 }));
    await store.append(live);
    await settled(store);
    const seen: WireRecord[] = [];
    let last: WireRecord | undefined;
    let backfilled: WireRecord[] = [];
    for (let page = 0; ; page++) {
      const rows = collect(store.query({}, { order: 'desc', by: 'event', limit: 50, after: last?.id, afterTs: last?.ts }));
      seen.push(...rows);
      if (page === 1) {
        // Older than everything listed so far: must show up in a later page, exactly once.
        const res = await store.append(makeRecords(12, 80).map((r, i) => ({ ...r, ts: 1_600_000_000_000 + i })));
        if (!res.duplicate) backfilled = res.records;
        // Newer than the cursor: belongs before it, so this listing never shows it.
        await store.append(makeRecords(13, 5).map((r) => ({ ...r, ts: 1_800_000_000_000 })));
      }
      if (rows.length < 50) break;
      last = rows[rows.length - 1];
    }
    expect(new Set(ids(seen)).size).toBe(seen.length);
    expect(seen).toHaveLength(380);
    expect(ids(seen.slice(300))).toEqual(ids([...backfilled].reverse()));
    for (let i = 1; i < seen.length; i++) expect(seen[i].ts).toBeLessThanOrEqual(seen[i - 1].ts);
  });

  it('store time query - newest first by event time is not receive order (late old records are not "newest")', async () => {
    const { store } = await open();
    await store.append(makeRecords(21, 10).map((r, i) => ({ ...r, service: 'svc', ts: 1_700_000_000_000 + i })));
    await store.append(makeRecords(22, 3).map((r, i) => ({ ...r, service: 'svc', ts: 1_500_000_000_000 + i })));
    const rows = collect(store.query({ services: new Set(['svc']) }, { order: 'desc', by: 'event', limit: 2 }));
    expect(rows.map((r) => r.ts)).toEqual([1_700_000_000_009, 1_700_000_000_008]);
    const oldest = collect(store.query({ services: new Set(['svc']) }, { order: 'asc', by: 'event', limit: 1 }));
    expect(oldest[0].ts).toBe(1_500_000_000_000);
  });

  it('store time query - survives a restart and a deletion (indexes follow the chunks)', async () => {
    const { store, dir } = await open();
    const all = await fill(store, 5, 4);
    const cut = mode === 'log only' ? 0 : 1_700_000_010_000; // deletion indexes the log first
    if (cut > 0) await store.deleteBefore(cut);
    await store.close();
    const { store: again } = await open(dir);
    await settled(again);
    const kept = all.filter((r) => r.ts >= cut);
    expect(ids(collect(again.query({}, { order: 'desc', by: 'event' })))).toEqual(ids(modelEventQuery(kept, {}, { order: 'desc' })));
    expect(ids(collect(again.query({}, { order: 'asc', by: 'event' })))).toEqual(ids(modelEventQuery(kept, {}, { order: 'asc' })));
  });

  it('store time query - with ticks, null marks each step and records are unchanged', async () => {
    const { store } = await open();
    const all = await fill(store, 7, 2);
    const items = collect(store.query({ q: 'no such text anywhere', qRegex: /no such text anywhere/i }, { order: 'desc', by: 'event', ticks: true }));
    expect(items.every((x) => x === null)).toBe(true);
    const withTicks = collect(store.query({}, { order: 'asc', by: 'event', ticks: true })).filter((x) => x !== null);
    expect(ids(withTicks as WireRecord[])).toEqual(ids(modelEventQuery(all, {}, { order: 'asc' })));
  });
});
}
