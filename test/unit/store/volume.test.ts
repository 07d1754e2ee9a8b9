import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import type { WireRecord } from '../../../hub/protocol/frames.js';
import type { Store } from '../../../hub/store/types.js';
import { collect, makeRecords, tempStore } from '../../helpers/store.js';
import { modelEventQuery } from './model.js';

const STEP = 60_000;

/** Whole-store minute volume as store.volume answers it, flattened for comparison. */
function volume(store: Store): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [t, c] of store.volume({}, { loMinute: 0, hiMinute: Number.MAX_SAFE_INTEGER, stepMs: STEP })) for (const [s, n] of Object.entries(c)) out[`${t}/${s}`] = n!;
  return out;
}

function model(rs: WireRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rs) {
    const k = `${Math.floor(r.ts / STEP) * STEP}/${r.severity}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

async function fill(store: Store): Promise<WireRecord[]> {
  const out: WireRecord[] = [];
  for (let b = 0; b < 4; b++) {
    const res = await Promise.all([0, 1].map((k) => store.append(makeRecords(b * 10 + k, 150, (b * 2 + k) * 150))));
    for (const r of res) if (!r.duplicate) out.push(...r.records);
  }
  return out;
}

describe('store volume', () => {
  for (const [mode, options] of [['indexed', {}], ['log only', { index: false }], ['indexing', {}]] as const) {
  it(`store volume - minute counts match the records (${mode}), after a deletion and after a restart`, async () => {
    const { store, dir } = await tempStore(undefined, options);
    const all = await fill(store);
    expect(volume(store)).toEqual(model(all));
    if (mode === 'indexed') await store.indexed();
    expect(volume(store)).toEqual(model(all));
    const cut = mode === 'log only' ? 0 : 1_700_000_050_000; // deletion indexes the log first
    if (cut > 0) await store.deleteBefore(cut);
    const kept = all.filter((r) => r.ts >= cut);
    expect(volume(store)).toEqual(model(kept));
    await store.close();
    const { store: again } = await tempStore(dir, options);
    expect(volume(again)).toEqual(model(kept));
    expect(again.volumeExtent({})).toEqual({ fromMs: Math.floor(Math.min(...kept.map((r) => r.ts)) / STEP) * STEP, toMs: Math.floor(Math.max(...kept.map((r) => r.ts)) / STEP) * STEP + STEP - 1 });
  });
  }

  it('store volume - a store written before the event-time indexes gets them built at open', async () => {
    const { store, dir } = await tempStore();
    const all = await fill(store);
    await store.indexed();
    await store.close();
    // What an older hub left behind: no tmax/tmin/vol entries, no "eventIndex" marker.
    const root = open({ path: join(dir, 'store'), maxDbs: 16 });
    for (const name of ['tmax', 'tmin', 'vol']) await root.openDB(name, { keyEncoding: 'binary', encoding: 'binary' }).clearAsync();
    await root.openDB('meta', {}).remove('eventIndex');
    await root.close();
    const { store: again } = await tempStore(dir);
    expect(volume(again)).toEqual(model(all));
    expect(collect(again.query({}, { order: 'desc', by: 'event' })).map((r) => r.id)).toEqual(modelEventQuery(all, {}, { order: 'desc' }).map((r) => r.id));
  });
});
