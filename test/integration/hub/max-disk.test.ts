import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';

const HOUR = 3_600_000;
let hub: TestHub | undefined;
let dir: string | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function post(h: TestHub, records: object[]): Promise<void> {
  const res = await fetch(`${h.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body: JSON.stringify(records) });
  expect(res.status).toBe(201);
}

async function json(h: TestHub, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${h.token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function usedBytes(h: TestHub): Promise<number> {
  return ((await json(h, '/health')).store as { bytes: number }).bytes;
}

async function found(h: TestHub, q: string): Promise<number> {
  const body = await json(h, `/logs?q=${encodeURIComponent(q)}&limit=10`);
  return (body.logs as unknown[]).length;
}

describe('max disk', () => {
  it('max disk - a hub over --max-disk deletes the oldest received records, about the overshoot; a record dated 23 h ahead stays', async () => {
    dir = tempDir();
    hub = await startTestHub({ dataDir: dir, keepData: true });
    const now = Date.now();
    for (let b = 0; b < 40; b++) {
      if (b === 20) await post(hub, [{ timestamp: new Date(now + 23 * HOUR).toISOString(), service: 'api', message: 'dated ahead' }]);
      // Earlier batches carry later event times: receive order and event order disagree.
      const base = now - 2 * HOUR + (40 - b) * 60_000;
      await post(hub, Array.from({ length: 1000 }, (_, i) => ({ timestamp: new Date(base + i).toISOString(), service: 'api', message: `batch-${b}-line-${i} status ok` })));
    }
    await hub.hub.ctx.store.indexed();
    const used = await usedBytes(hub);
    expect((await json(hub, '/stats')).total).toBe(40_001);
    await hub.close();

    const cap = Math.floor(used * 0.9);
    hub = await startTestHub({ dataDir: dir, keepData: true, config: { maxDisk: `${cap}B`, retentionIntervalMs: 200 } });
    const h = hub;
    await waitFor(async () => (await usedBytes(h)) <= cap, { timeoutMs: 30_000, what: 'used bytes under the cap' });
    const total = (await json(hub, '/stats')).total as number;
    expect(total).toBeGreaterThan(40_001 * 0.75);
    expect(total).toBeLessThan(40_001);
    expect(await found(hub, 'dated ahead')).toBe(1);
    expect(await found(hub, 'batch-39-line-999 ')).toBe(1);
    expect(await found(hub, 'batch-0-line-0 ')).toBe(0);
  }, 90_000);
});
