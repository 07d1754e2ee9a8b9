/**
 * Hostile patterns against a real hub process: each of them takes V8's backtracking engine
 * minutes to centuries over 5,000 characters; the hub must answer them (and `/health` meanwhile)
 * at once, over GET /logs and /v1/tail, and refuse what RE2 cannot run with a named reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { openTail, postLogs } from '../live/tail-client.js';

let proc: HubProcess;
let token: string;

const HOSTILE: Array<{ regex: string; message: string }> = [
  { regex: '(a|a)*b$', message: `${'a'.repeat(4999)}c` },
  { regex: '.*.*.*.*=', message: 'x'.repeat(5000) },
  { regex: '[a-z]+[a-z]+[a-z]+[a-z]+!', message: 'a'.repeat(5000) },
  { regex: '\\s*\\s*\\s*x$', message: `${' '.repeat(4999)}y` },
];

/** Runs `work` while polling /health; returns the slowest /health answer seen (ms). */
async function slowestHealthDuring(work: Promise<unknown>): Promise<number> {
  let done = false;
  void work.finally(() => { done = true; });
  let worst = 0;
  while (!done) {
    const t0 = performance.now();
    const res = await fetch(`${proc.url}/health`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    worst = Math.max(worst, performance.now() - t0);
  }
  await work;
  return worst;
}

async function getLogs(params: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${proc.url}/logs?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  const dir = tempDir();
  proc = await spawnHub(['--port', '0', '--data', dir]);
  token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  for (let i = 0; i < 20; i++) await postLogs(proc.url, token, HOSTILE.map((h) => ({ service: 'evil', message: h.message })));
  await postLogs(proc.url, token, [{ service: 'evil', message: `${'a'.repeat(4999)}b` }]);
}, 30_000);
afterAll(() => proc?.kill());

describe('filter/pattern (hub process)', () => {
  it('filter/pattern - GET /logs with catastrophic patterns answers at once, /health meanwhile', async () => {
    for (const h of HOSTILE) {
      let answer: { status: number; body: any } | undefined;
      const t0 = performance.now();
      const worst = await slowestHealthDuring(getLogs({ regex: h.regex, limit: '10' }).then((r) => { answer = r; }));
      expect(answer!.status, h.regex).toBe(200);
      expect(performance.now() - t0, h.regex).toBeLessThan(5000);
      expect(worst, `/health during ${h.regex}`).toBeLessThan(1000);
    }
    const hit = await getLogs({ regex: '(a|a)*b$' });
    expect(hit.body.count).toBe(1);
  });

  it('filter/pattern - a leading (?i) is accepted; lookaround and backreferences are a 400 naming regex', async () => {
    const ci = await getLogs({ regex: '(?i)^A+B$' });
    expect(ci).toMatchObject({ status: 200, body: { count: 1 } });
    for (const [regex, what] of [['x(?=y)', 'lookahead'], ['(a)\\1', 'backreferences'], ['a**', '**']]) {
      const r = await getLogs({ regex });
      expect(r.status).toBe(400);
      expect(r.body.error).toContain('regex');
      expect(r.body.error).toContain(what);
    }
  });

  it('filter/pattern - a live tail with a catastrophic pattern keeps the hub answering; a refused one closes 1008', async () => {
    const tail = await openTail(proc.wsUrl, { regex: '(a|a)*b$' }, token);
    try {
      const worst = await slowestHealthDuring(postLogs(proc.url, token, HOSTILE.map((h) => ({ service: 'evil', message: h.message }))));
      expect(worst).toBeLessThan(1000);
      await postLogs(proc.url, token, [{ service: 'evil', message: 'aaab' }]);
      await tail.waitRecords(1);
      expect(tail.records.map((r) => r.message)).toEqual(['aaab']);
    } finally {
      await tail.close();
    }
    const refused = await openTail(proc.wsUrl, { regex: '(?<=a)b' }, token);
    const closed = await refused.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/regex.*lookbehind/);
  });
});
