/**
 * Exactly-once across crashes, against the real hub binary: kill -9 of the shipper and of the
 * hub at seeded random moments while 50,000 lines are written; then every line is in the hub
 * exactly once. Also: the hub down for a while, then back (the spool drains, nothing lost).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { prng } from '../../../shipper/simulate.js';
import { adminToken, allMessages, exactlyOnce, hubTotal, line, spawnShipper, type ShipperProcess } from './helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function startHub(port: number, data: string): Promise<HubProcess> {
  const h = await spawnHub(['--port', String(port), '--data', data]);
  cleanup.push(() => h.kill());
  return h;
}

/** A temp dir (removed after the test) with the hub's data dir, the log file and the shipper's state dir, and a free port. */
async function newRun(prefix: string): Promise<{ data: string; file: string; state: string; port: number }> {
  const dir = tempDir(prefix);
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return { data: join(dir, 'hub'), file: join(dir, 'app.log'), state: join(dir, 'state'), port: await freePort() };
}

function startShipper(hubUrl: string, token: string, file: string, state: string): ShipperProcess {
  const s = spawnShipper(['--hub', hubUrl, '--token', token, '--file', file, '--service', 'crash', '--state-dir', state, '--no-status', '--log-level', 'warn', '--retry-base-ms', '50', '--poll-interval-ms', '50']);
  cleanup.push(() => s.kill());
  return s;
}

describe('shipper crash safety (real hub process)', () => {
  it('shipper - kill -9 of shipper and hub during 50,000 lines: every line stored exactly once', async () => {
    const { data, file, state, port } = await newRun('lw-crash-');
    let hub = await startHub(port, data);
    const token = adminToken(data);
    appendFileSync(file, '');
    let shipper = startShipper(hub.wsUrl, token, file, state);

    const TOTAL = 50_000;
    const rnd = prng(4242);
    // Crash points (line counts written) for the shipper (S) and the hub (H).
    const crashes = [6000, 14000, 22000, 30000, 38000, 45000].map((n, i) => ({ at: n + Math.floor(rnd() * 3000), who: i % 2 === 0 ? 'S' : 'H' }));
    let written = 0;
    while (written < TOTAL) {
      const n = Math.min(500, TOTAL - written);
      let text = '';
      for (let i = 1; i <= n; i++) text += `${line(written + i)}\n`;
      appendFileSync(file, text);
      written += n;
      const c = crashes[0];
      if (c && written >= c.at) {
        crashes.shift();
        if (c.who === 'S') {
          await shipper.kill();
          shipper = startShipper(hub.wsUrl, token, file, state);
        } else {
          await hub.kill();
          hub = await startHub(port, data);
        }
      }
      // Pace the writer so crashes land mid-stream (load shaping, not synchronisation).
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(async () => (await hubTotal(hub.url, token)) >= TOTAL, { timeoutMs: 60_000, intervalMs: 200, what: `${TOTAL} records in the hub` });
    const { missing, duplicated } = exactlyOnce(await allMessages(hub.url, token), TOTAL);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(duplicated.slice(0, 10)).toEqual([]);
    expect(await hubTotal(hub.url, token)).toBe(TOTAL);
    await shipper.stop();
    expect(shipper.stderr()).not.toMatch(/"level":50/);
  }, 110_000);

  it('shipper - hub down for a while then back: the spool drains, nothing lost', async () => {
    const { data, file, state, port } = await newRun('lw-down-');
    let hub = await startHub(port, data);
    const token = adminToken(data);
    await hub.stop();
    let text = '';
    for (let i = 1; i <= 5000; i++) text += `${line(i)}\n`;
    appendFileSync(file, text);
    const shipper = startShipper(`ws://127.0.0.1:${port}`, token, file, state);
    const spooledBytes = () => readdirSync(join(state, 'spool')).filter((n) => n.endsWith('.seg')).reduce((n, f) => n + statSync(join(state, 'spool', f)).size - 4, 0);
    await waitFor(() => spooledBytes() > 0, { timeoutMs: 15_000, what: 'batches in the spool while the hub is down' });
    await waitFor(() => /unreachable/.test(shipper.stderr()), { timeoutMs: 10_000, what: 'the shipper to say the hub is unreachable' });
    hub = await startHub(port, data);
    await waitFor(async () => (await hubTotal(hub.url, token)) >= 5000, { timeoutMs: 30_000, intervalMs: 100, what: '5000 records after the hub is back' });
    await shipper.stop();
    // Everything acked: the segment is released on a clean stop.
    expect(readdirSync(join(state, 'spool'))).toEqual([]);
    const { missing, duplicated } = exactlyOnce(await allMessages(hub.url, token), 5000);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
  }, 60_000);
});
