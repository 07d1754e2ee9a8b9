import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { StoreCorruptError } from '../../../hub/store/store.js';
import { chunkKey } from '../../../hub/store/keys.js';
import { collect, tempStore } from '../../helpers/store.js';

/** Overwrites raw values in the closed store's db `name`. */
async function clobber(dir: string, name: string, compression: boolean, edit: (key: Buffer, value: Buffer) => Buffer | undefined): Promise<number> {
  const root = open({ path: join(dir, 'store'), maxDbs: 16 });
  const db = root.openDB(name, { encoding: 'binary', keyEncoding: 'binary', ...(compression ? { compression: { threshold: 512 } } : {}) });
  let n = 0;
  for (const { key, value } of db.getRange({})) {
    const v = edit(key as Buffer, value as Buffer);
    if (v) {
      await db.put(key, v);
      n++;
    }
  }
  await root.close();
  return n;
}

describe('corruption', () => {
  it('corruption - a corrupted chunk surfaces StoreCorruptError for queries touching it; everything else keeps working', async () => {
    const { store, dir } = await tempStore();
    await store.append([
      { ts: 1, service: 'good', severity: 'INFO', message: 'fine line' },
      { ts: 2, service: 'bad', severity: 'INFO', message: 'soon broken '.repeat(100) },
      { ts: 3, service: 'bad', severity: 'WARN', message: 'short broken' },
    ]);
    await store.indexed(); // chunks are built from the log by the indexer
    await store.close();
    // The "bad" streams have ids 2 and 3: replace their chunks with garbage (one big, one tiny).
    const n = await clobber(dir, 'chunks', true, (key) =>
      key.readUInt32BE(0) >= 2 ? (key.readUInt32BE(0) === 2 ? Buffer.alloc(2000, 0xfe) : Buffer.from([0xff, 0x01])) : undefined,
    );
    expect(n).toBe(2);
    const { store: again } = await tempStore(dir);
    expect(() => collect(again.query({ services: new Set(['bad']), severities: new Set(['INFO'] as const) }, { order: 'asc' }))).toThrow(StoreCorruptError);
    expect(() => collect(again.query({ services: new Set(['bad']), severities: new Set(['WARN'] as const) }, { order: 'asc' }))).toThrow(StoreCorruptError);
    expect(collect(again.query({ services: new Set(['good']) }, { order: 'asc' })).map((r) => r.message)).toEqual(['fine line']);
    expect(again.stats().total).toBe(3);
    const more = await again.append([{ ts: 9, service: 'good', severity: 'INFO', message: 'still ingesting' }]);
    expect(more.duplicate).toBe(false);
    await expect(again.deleteBefore(100)).resolves.toBeGreaterThanOrEqual(2);
  });

  it('corruption - a corrupted chunk meta or group entry is an error, not a crash', async () => {
    const { store, dir } = await tempStore();
    await store.append([{ ts: 1, service: 's', severity: 'INFO', message: 'hello there' }]);
    await store.indexed();
    await store.close();
    await clobber(dir, 'cmeta', false, () => Buffer.from([1, 2, 3]));
    await clobber(dir, 'groups', false, () => Buffer.from([9]));
    const { store: again } = await tempStore(dir);
    expect(() => collect(again.query({}, { order: 'asc' }))).toThrow(StoreCorruptError);
    expect(() => collect(again.query({ services: new Set(['s']) }, { order: 'desc' }))).toThrow(StoreCorruptError);
    expect(again.stats().total).toBe(1);
    expect(chunkKey(1, 0)).toHaveLength(10);
  });
});
