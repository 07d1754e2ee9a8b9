/**
 * Dropping empty streams (issue 8): when a deletion removes a stream's last record the stream
 * leaves memory and the `streams` db, after a restart too; a stream re-created with the same
 * labels works (new id, counted, listed), and streams still holding records are untouched.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { ValidRecord } from '../../../hub/protocol/record.js';
import { collect, tempDir, tempStore } from '../../helpers/store.js';

const STREAMS = 2000;
const T0 = Date.now() - 3_600_000;

/** One record per (host) stream; hosts below `old` get an old timestamp. */
function records(old: number): ValidRecord[] {
  return Array.from({ length: STREAMS }, (_, i) => ({ ts: i < old ? T0 : T0 + 1_800_000, service: 'web', severity: 'INFO', host: `h-${i}`, message: `line of h-${i}` }));
}

describe('drop streams', () => {
  it('drop streams - a deletion that empties streams drops them from memory and disk; restart agrees; re-created streams work', async () => {
    const dir = tempDir();
    let { store } = await tempStore(dir);
    await store.append(records(STREAMS / 2));
    await store.indexed();
    expect(store.streamCount()).toBe(STREAMS);

    expect(await store.deleteBefore(T0 + 1)).toBe(STREAMS / 2);
    expect(store.streamCount()).toBe(STREAMS / 2);
    expect(store.stats().total).toBe(STREAMS / 2);
    expect(store.hosts().length).toBe(STREAMS / 2);
    await store.close();

    ({ store } = await tempStore(dir));
    expect(store.streamCount()).toBe(STREAMS / 2);
    expect(store.hosts().some((h) => h.host === 'h-0')).toBe(false);
    // A dropped stream's labels make a new stream that is stored, listed, counted.
    const again = await store.append([{ ts: T0 + 2_000_000, service: 'web', severity: 'INFO', host: 'h-0', message: 'h-0 is back' }]);
    expect(again.duplicate).toBe(false);
    expect(store.streamCount()).toBe(STREAMS / 2 + 1);
    expect(collect(store.query({ hosts: new Set(['h-0']) }, { order: 'desc', by: 'event' })).map((r) => r.message)).toEqual(['h-0 is back']);
    await store.indexed();
    await store.close();

    ({ store } = await tempStore(dir));
    expect(store.streamCount()).toBe(STREAMS / 2 + 1);
    expect(store.stats().total).toBe(STREAMS / 2 + 1);
    expect(collect(store.query({ hosts: new Set(['h-0']) }, { order: 'asc' })).map((r) => r.message)).toEqual(['h-0 is back']);
    expect(collect(store.query({ hosts: new Set(['h-1999']) }, { order: 'asc' })).map((r) => r.message)).toEqual(['line of h-1999']);
  }, 30_000);

  it('drop streams - at open, an entry without records loses to a live stream with the same labels and is removed', async () => {
    const dir = tempDir();
    let { store } = await tempStore(dir);
    await store.append([{ ts: T0, service: 'web', severity: 'INFO', host: 'dup', message: 'live one' }]);
    await store.indexed();
    await store.close();
    // What a dropped stream's entry rewritten by a retry after a failed commit looks like: an older
    // id, the same labels, no records.
    const env = open({ path: join(dir, 'store'), maxDbs: 16 });
    await env.openDB<unknown, number>('streams', { keyEncoding: 'uint32' }).put(0, ['web', 'INFO', 'dup', null, 0, null, 0, 0]);
    await env.close();

    ({ store } = await tempStore(dir));
    expect(store.streamCount()).toBe(1);
    expect(collect(store.query({ hosts: new Set(['dup']) }, { order: 'asc' })).map((r) => r.message)).toEqual(['live one']);
    await store.append([{ ts: T0 + 1, service: 'web', severity: 'INFO', host: 'dup', message: 'second' }]);
    expect(store.streamCount()).toBe(1);
    await store.close();
    const check = open({ path: join(dir, 'store'), maxDbs: 16 });
    expect(check.openDB<unknown, number>('streams', { keyEncoding: 'uint32' }).get(0)).toBeUndefined();
    await check.close();
  }, 30_000);

  it('drop streams - the disk cap (oldest received first) drops the streams it empties', async () => {
    const { store } = await tempStore();
    await store.append(records(0).slice(0, STREAMS / 2));
    await store.append(records(0).slice(STREAMS / 2));
    await store.indexed();
    expect(store.streamCount()).toBe(STREAMS);
    const deleted = await store.deleteOldestReceived(1);
    expect(deleted).toBeGreaterThan(0);
    expect(store.streamCount()).toBe(STREAMS - deleted);
    expect(store.stats().total).toBe(STREAMS - deleted);
  }, 30_000);

  it('drop streams - what a stream holds in memory goes once its records are gone', async () => {
    const { store } = await tempStore();
    // The per-stream memory: the stream table and the volume index's minute maps (volume.ts).
    const state = (store as unknown as { state: { streams: { size: number; byService: Map<string, unknown>; byHost: Map<string, unknown> }; volume: { live: Map<number, unknown> } } }).state;
    const many = Array.from({ length: 50_000 }, (_, i) => ({ ts: T0, service: 'web', severity: 'INFO' as const, host: `m-${i}`, file: `/var/log/m-${i}.log`, message: 'x' }));
    await store.append(many);
    await store.indexed();
    expect(store.streamCount()).toBe(50_000);
    expect(state.volume.live.size).toBe(50_000);
    expect(state.streams.byHost.size).toBe(50_000);
    await store.deleteBefore(T0 + 1);
    expect(store.streamCount()).toBe(0);
    expect(store.stats().total).toBe(0);
    expect(state.volume.live.size).toBe(0);
    expect(state.streams.byHost.size).toBe(0);
    expect(state.streams.byService.size).toBe(0);
  }, 60_000);
});
