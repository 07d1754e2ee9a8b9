/**
 * A full disk, for real: the hub's data directory is on a small tmpfs that a filler file has
 * nearly filled (the test mounts it, so it runs as root — CI does). Ingest until the disk refuses
 * a commit: that POST and every later one are 503 HUB_ERR_STORE_UNAVAILABLE, a WebSocket batch
 * gets an error frame and close 1011, /health says the store is not writable, the hub never
 * crashes. Then the filler is deleted: ingest resumes by itself, and every acked record is there
 * exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnHub, type HubProcess } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';
import { ensureAdminToken } from '../../../hub/auth/tokens.js';
import { waitFor } from '../../helpers/wait.js';

const MOUNT_MB = 24;
const FILLER_MB = 12;

let mnt: string;
let hub: HubProcess | undefined;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs to fill a disk for real: run it as root (CI does)');
  mnt = mkdtempSync(join(tmpdir(), 'logwire-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_MB}m`, 'tmpfs', mnt]);
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(FILLER_MB << 20, 1));
});

afterAll(async () => {
  await hub?.kill();
  execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

async function post(url: string, token: string, records: unknown[]): Promise<{ status: number; body: { code?: string; stored?: number } }> {
  const res = await fetch(`${url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(records) });
  return { status: res.status, body: (await res.json()) as { code?: string; stored?: number } };
}

const batch = (n: number, tag: string) => Array.from({ length: 200 }, (_, i) => ({ service: `svc${i % 7}`, severity: 'INFO', message: `${tag}-${n}-${i} ${'lorem ipsum dolor '.repeat(8)}${Math.random()}` }));

describe('full disk', () => {
  it('full disk - 503 and close 1011 while the disk is full, /health says so, ingest resumes by itself, no acked record lost', async () => {
    const dataDir = join(mnt, 'data');
    const token = ensureAdminToken(dataDir).token;
    hub = await spawnHub(['--port', '0', '--data', dataDir]);
    const acked = new Set<string>();
    let failed: { status: number; body: { code?: string } } | undefined;
    for (let n = 0; n < 5000 && !failed; n++) {
      const records = batch(n, 'a');
      const r = await post(hub.url, token, records);
      if (r.status === 201 || r.status === 200) for (const rec of records) acked.add(rec.message);
      else failed = r;
    }
    expect(failed, 'the disk never filled').toBeDefined();
    expect(failed!.status).toBe(503);
    expect(failed!.body.code).toBe('HUB_ERR_STORE_UNAVAILABLE');
    expect(acked.size).toBeGreaterThan(0);

    const again = await post(hub.url, token, batch(0, 'b'));
    expect(again.status).toBe(503);
    expect(again.body.code).toBe('HUB_ERR_STORE_UNAVAILABLE');
    const health = await fetch(`${hub.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', store: { ok: false, writable: false } });

    const c = await connectIngest(hub.wsUrl, token);
    await handshake(c, 'full-disk-shipper');
    c.send({ type: 'batch', seq: 1, records: batch(0, 'ws') });
    const frame = await c.next(10_000);
    expect(frame).toMatchObject({ type: 'error', code: 'store_unavailable' });
    expect((await c.closed).code).toBe(1011);

    rmSync(join(mnt, 'filler'));
    // No restart, no operator action: the next write that fits succeeds.
    let resumed: string[] = [];
    await waitFor(async () => {
      const records = batch(0, 'c');
      const r = await post(hub!.url, token, records);
      if (r.status !== 201 && r.status !== 200) return false;
      resumed = records.map((x) => x.message);
      return true;
    }, { timeoutMs: 20_000, what: "ingest to resume" });
    for (const m of resumed) acked.add(m);
    await waitFor(async () => (await fetch(`${hub!.url}/health`)).status === 200, { timeoutMs: 10_000, what: "/health 200" });
    expect(hub.proc.exitCode).toBeNull();

    const seen = new Map<string, number>();
    let cursor: string | undefined;
    for (;;) {
      const q = new URL(`${hub.url}/logs`);
      q.searchParams.set('limit', '1000');
      q.searchParams.set('order', 'asc');
      if (cursor) q.searchParams.set('cursor', cursor);
      const page = (await (await fetch(q, { headers: { authorization: `Bearer ${token}` } })).json()) as { logs: Array<{ message: string }>; next_cursor?: string | null };
      for (const r of page.logs) seen.set(r.message, (seen.get(r.message) ?? 0) + 1);
      if (!page.next_cursor || page.logs.length === 0) break;
      cursor = page.next_cursor;
    }
    for (const m of acked) expect(seen.get(m), `acked record lost: ${m.slice(0, 30)}`).toBe(1);
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
  }, 120_000);
});
