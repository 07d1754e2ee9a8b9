/**
 * Queries never hold the event loop for long (docs/http-api.md "Queries never stall the hub"):
 * while a scan that matches nothing runs over a large store, /health keeps answering quickly.
 * The bound is deliberately generous (a correctness property, not a benchmark): without time
 * slices the scan below holds the loop for its whole duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { startTestHub } from '../../helpers/hub.js';

const RECORDS = 150_000;
let hub: TestHub;

beforeAll(async () => {
  hub = await startTestHub();
  const store = hub.hub.ctx.store;
  const base = Date.parse('2025-06-01T00:00:00Z');
  const pad = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore';
  for (let i = 0; i < RECORDS; i += 5000) {
    const batch = Array.from({ length: 5000 }, (_, j) => ({
      ts: base + (i + j) * 10,
      service: `svc-${j % 7}`,
      severity: (['INFO', 'WARN', 'ERROR'] as const)[j % 3],
      host: `h${j % 3}`,
      message: `request ${i + j} done ${pad} ${(i + j) * 7919 % 100_003}`,
    }));
    await store.append(batch);
  }
}, 120_000);
afterAll(async () => hub?.close());

/** Polls /health back to back while `work` runs; returns the slowest answer and how long `work` took. */
async function healthDuring(work: () => Promise<unknown>): Promise<{ maxMs: number; answers: number; workMs: number }> {
  let done = false;
  let maxMs = 0;
  let answers = 0;
  const poll = (async () => {
    while (!done) {
      const t0 = performance.now();
      const r = await fetch(`${hub.url}/health`);
      await r.arrayBuffer();
      maxMs = Math.max(maxMs, performance.now() - t0);
      answers++;
    }
  })();
  const t0 = performance.now();
  await work();
  const workMs = performance.now() - t0;
  done = true;
  await poll;
  return { maxMs, answers, workMs };
}

const auth = () => ({ authorization: `Bearer ${hub.token}` });

describe('query/yield', () => {
  const scans: Array<[string, string, Record<string, string>]> = [
    ['GET /logs, regex matching nothing', '/logs?regex=zz%5Cd%7B3%7Dqq&limit=10', {}],
    ['GET /logs ascending, regex matching nothing', '/logs?regex=zz%5Cd%7B3%7Dqq&order=asc', {}],
    ['NDJSON export, regex matching nothing', '/logs?regex=zz%5Cd%7B3%7Dqq', { accept: 'application/x-ndjson' }],
    ['GET /logs/volume with a text filter', '/logs/volume?regex=zz%5Cd%7B3%7Dqq&step=1h', {}],
    ['receive-order listing after an id', `/logs?regex=zz%5Cd%7B3%7Dqq&order=asc&after=${'0'.repeat(24)}`, {}],
  ];
  for (const [name, path, headers] of scans) {
    it(`query/yield - ${name}: /health keeps answering during the scan`, async () => {
      const r = await healthDuring(async () => {
        const res = await fetch(`${hub.url}${path}`, { headers: { ...auth(), ...headers } });
        expect(res.status).toBe(200);
        await res.text();
      });
      // The scan is long enough to matter; /health never waited for most of it.
      expect(r.workMs).toBeGreaterThan(60);
      expect(r.answers).toBeGreaterThan(3);
      expect(r.maxMs).toBeLessThan(Math.max(50, r.workMs / 3));
    });
  }
});
