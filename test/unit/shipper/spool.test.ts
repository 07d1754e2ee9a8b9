import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSpool } from '../../../shipper/spool.js';
import { createCheckpointWriter, loadShipperId, PRUNE_AFTER_MS, pruneCheckpoint, readCheckpoint } from '../../../shipper/checkpoint.js';
import { buildConfig, ConfigError, normalizeHubUrl } from '../../../shipper/config.js';
import { backoffMs } from '../../../shipper/send.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lw-spool-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const pos = (offset: number) => ({ key: '1:2', path: '/x', fpLen: 3, fpHash: 'abc', offset });

describe('spool', () => {
  it('spool - batches survive reopen in seq order; acked prefix leaves only when contiguous', async () => {
    const dir = tmp();
    const s = await openSpool(dir, { fsync: false, memoryBytes: 10 });
    await s.append(1, Buffer.from('one'), [pos(10)], 1);
    await s.append(2, Buffer.from('two'), [pos(20)], 1);
    await s.append(5, Buffer.from('five'), [pos(50)], 1);
    expect(s.ack(2)).toEqual([]);
    const three = s.bytes;
    expect(s.unackedBytes).toBe(three);
    const done = s.ack(1);
    expect(s.unackedBytes).toBe(s.entries[0].size); // acked but not yet removed: counted in bytes only
    expect(s.bytes).toBe(three);
    expect(done.map((e) => e.seq)).toEqual([1, 2]);
    await s.remove(done);
    await s.close();
    // Seqs 1 and 2 share the segment with 5; the checkpoint's lastSeq says they are done.
    const r = await openSpool(dir, { fsync: false, memoryBytes: 0, ackedThrough: 2 });
    expect(r.entries.map((e) => e.seq)).toEqual([5]);
    expect(r.maxSeq).toBe(5);
    expect((await r.frame(r.entries[0])).toString()).toBe('five');
    expect(r.entries[0].positions[0].offset).toBe(50);
    const last = r.ack(7, true);
    expect(last.map((e) => e.seq)).toEqual([5]);
    await r.remove(last);
    await r.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('spool - one segment file, overlapping appends share a write; a torn tail after kill -9 is dropped, the rest kept', async () => {
    const dir = tmp();
    const s = await openSpool(dir, { fsync: true, memoryBytes: 1 << 20 });
    const frames = Array.from({ length: 20 }, (_, i) => Buffer.alloc(100 + i, i));
    const entries = await Promise.all(frames.map((f, i) => s.append(i + 1, f, [pos(i)], 1)));
    expect(entries.map((e) => e.seq)).toEqual(frames.map((_, i) => i + 1));
    expect(s.entries.map((e) => e.seq)).toEqual(frames.map((_, i) => i + 1));
    await expect(s.append(3, Buffer.from('x'), [], 1)).rejects.toThrow(/not above/);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^0{15}1\.seg$/);
    // A crash in the middle of the last entry: cut the file short (every cut point).
    const full = readFileSync(join(dir, files[0]));
    const lastSize = entries[19].size;
    for (const cut of [1, 8, 12, 40, lastSize - 1]) {
      writeFileSync(join(dir, files[0]), full.subarray(0, full.length - cut));
      const r = await openSpool(dir, { fsync: false, memoryBytes: 0 });
      expect(r.entries.map((e) => e.seq)).toEqual(frames.slice(0, 19).map((_, i) => i + 1));
      for (const e of r.entries) expect((await r.frame(e)).equals(frames[e.seq - 1])).toBe(true);
      // Writing goes on in a new segment, never after the torn tail.
      await r.append(21, Buffer.from('new'), [], 1);
      await r.close();
      expect(readdirSync(dir).sort()).toEqual([files[0], '0000000000000021.seg']);
      rmSync(join(dir, '0000000000000021.seg'));
    }
    // A flipped byte inside an entry stops loading there (CRC), it is never sent damaged.
    const bad = Buffer.from(full);
    bad[entries[0].size + 4 + 20] ^= 0xff;
    writeFileSync(join(dir, files[0]), bad);
    const r = await openSpool(dir, { fsync: false, memoryBytes: 0 });
    expect(r.entries.map((e) => e.seq)).toEqual([1]);
  });

  it('spool - version 1 files (one per batch) from an older shipper are still sent', async () => {
    const dir = tmp();
    const header = Buffer.from(JSON.stringify({ seq: 4, lines: 2, positions: [pos(40)] }));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(header.length);
    writeFileSync(join(dir, '0000000000000004.batch'), Buffer.concat([Buffer.from('LWS1'), len, header, Buffer.from('four')]));
    writeFileSync(join(dir, '0000000000000009.batch.tmp'), 'torn');
    const r = await openSpool(dir, { fsync: false, memoryBytes: 0 });
    expect(r.entries.map((e) => [e.seq, e.lines])).toEqual([[4, 2]]);
    expect((await r.frame(r.entries[0])).toString()).toBe('four');
    await r.append(5, Buffer.from('five'), [], 1);
    await r.remove(r.ack(5, true));
    await r.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('checkpoint - entries of files not followed and not acked for a week are pruned; open files never', () => {
    const now = 10 * PRUNE_AFTER_MS;
    const old = now - PRUNE_AFTER_MS - 1;
    const cp = {
      version: 1 as const,
      lastSeq: 9,
      files: { a: { ...pos(1), key: 'a', ackedMs: old }, b: { ...pos(2), key: 'b', ackedMs: old }, c: { ...pos(3), key: 'c', ackedMs: now - 1000 }, d: { ...pos(4), key: 'd' } },
    };
    expect(pruneCheckpoint(cp, new Set(['b']), now)).toBe(1);
    expect(Object.keys(cp.files).sort()).toEqual(['b', 'c', 'd']);
    expect(cp.files.d.ackedMs).toBe(now); // written before times were kept: the clock starts now
  });

  it('spool - checkpoint writes are atomic and coalesced; shipper id is stable', async () => {
    const dir = tmp();
    const w = createCheckpointWriter(dir, true);
    await Promise.all([1, 2, 3].map((n) => w.write({ version: 1, lastSeq: n, files: { '1:2': pos(n) } })));
    expect((await readCheckpoint(dir)).lastSeq).toBe(3);
    const id = await loadShipperId(dir);
    expect(await loadShipperId(dir)).toBe(id);
  });
});

describe('config', () => {
  it('config - legacy .env names map, CLI wins, bad values are one-line errors', () => {
    const env = { SOURCE: 'centos6', LOG_FILE: '/var/log/app.log', API_URL: 'http://10.0.0.5:8000/api/', API_TOKEN: 't', BATCH_INTERVAL: '0.5', RETRY_DELAY: '2', MAX_RETRIES: '5', STATE_FILE: '/tmp/agent.state' };
    const c = buildConfig({}, env);
    expect(c).toMatchObject({ host: 'centos6', stateDir: '/tmp/agent.state.d', batch: { intervalMs: 500 }, send: { hubs: ['ws://10.0.0.5:8000/v1/ingest'], token: 't', retryBaseMs: 2000 } });
    expect(c.sources[0]).toMatchObject({ path: '/var/log/app.log', service: 'app' });
    expect(c.notes.some((n) => n.includes('MAX_RETRIES'))).toBe(true);
    expect(buildConfig({ host: 'cli', hub: 'a:1,b:2' }, env)).toMatchObject({ host: 'cli', send: { hubs: ['ws://a:1/v1/ingest', 'ws://b:2/v1/ingest'] } });
    expect(Object.isFrozen(c.send)).toBe(true);
    expect(() => buildConfig({ batchMaxRecords: -1 }, env)).toThrow(ConfigError);
    expect(() => buildConfig({}, { LOG_FILE: '/x' })).toThrow(/no hub token/);
    expect(normalizeHubUrl('https://h/api/')).toBe('wss://h/v1/ingest');
  });

  it('config - backoff grows exponentially with jitter and is capped', () => {
    expect(backoffMs(0, 500, 30000, () => 1)).toBe(500);
    expect(backoffMs(3, 500, 30000, () => 0)).toBe(2000);
    expect(backoffMs(20, 500, 30000, () => 1)).toBe(30000);
  });
});
