/**
 * A host switching from the legacy Python agent: its STATE_FILE (last_position + pending
 * batches, the agent's own JSON format) is imported on the first start, so the lines the agent
 * already sent are not shipped again and the lines it still held are not lost. Only once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnHub, tempDir } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { adminToken, allMessages, hubTotal, line, spawnShipper } from './helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** How many times each L<n> arrived. */
function counts(messages: string[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const msg of messages) {
    const n = Number(/ L(\d+) /.exec(msg)?.[1]);
    m.set(n, (m.get(n) ?? 0) + 1);
  }
  return m;
}

describe('shipper legacy agent migration', () => {
  it('shipper - the Python agent\'s STATE_FILE is imported once: no line twice, none skipped', async () => {
    const dir = tempDir('lw-legacy-');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const hub = await spawnHub(['--port', '0', '--data', join(dir, 'hub')]);
    cleanup.push(() => hub.kill());
    const token = adminToken(join(dir, 'hub'));
    const file = join(dir, 'app.log');
    const text = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${line(from + i)}\n`).join('');
    // The agent sent L1-L3, read L4-L6 but could not send them (pending), and stopped there.
    writeFileSync(file, text(1, 6));
    const lastPosition = Buffer.byteLength(text(1, 6));
    appendFileSync(file, text(7, 10)); // written after the agent stopped
    const stateFile = join(dir, 'log_agent.state');
    writeFileSync(stateFile, JSON.stringify({
      last_position: lastPosition,
      pending_batches: [
        { id: 'a1', data: [line(4), line(5)], timestamp: 1714557600.5, retry_count: 3 },
        { id: 'b2', data: [line(6)], timestamp: 1714557601.25, retry_count: 0 },
      ],
    }, null, 4));
    const env = { STATE_FILE: stateFile, LOG_FILE: file, API_URL: `${hub.url}/api/`, API_TOKEN: token, SOURCE: 'centos6' };
    const args = ['--no-status', '--log-level', 'info', '--retry-base-ms', '50'];

    const first = spawnShipper(args, env);
    cleanup.push(() => first.kill());
    await waitFor(async () => (await hubTotal(hub.url, token)) >= 7, { timeoutMs: 30_000, what: 'L4-L10 in the hub' });
    await first.stop();
    expect(first.stderr()).toMatch(/imported the legacy agent's state .*resumes at byte \d+; 2 pending batch\(es\) \(3 line\(s\)\)/);

    // The next start resumes from its own state; the legacy file is not imported again.
    appendFileSync(file, text(11, 11));
    const second = spawnShipper(args, env);
    cleanup.push(() => second.kill());
    await waitFor(async () => (await hubTotal(hub.url, token)) >= 8, { timeoutMs: 30_000, what: 'L11 in the hub' });
    await second.stop();
    expect(second.stderr()).not.toMatch(/imported the legacy agent's state/);

    const c = counts(await allMessages(hub.url, token));
    expect([...c.keys()].sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect([...c.values()].every((n) => n === 1)).toBe(true);
    expect(await hubTotal(hub.url, token)).toBe(8);
  }, 90_000);
});
