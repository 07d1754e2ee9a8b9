/**
 * The README's run command: `npm start` runs a hub on the embedded default with demo shippers,
 * so a newcomer sees records flowing. Spawned exactly as a person would (npm start), with a
 * port given through LOGWIRE_PORT so it cannot collide with anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, freePort, tempDir } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';

let proc: ChildProcess | undefined;
let dir: string;
afterEach(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc!.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('demo', () => {
  it('demo - npm start runs a hub with simulated shippers, and records flow in', async () => {
    dir = tempDir();
    const port = await freePort();
    // npm would forward signals to a shell; run the script's command line through npm itself.
    proc = spawn('npm', ['start', '--silent'], { cwd: REPO_ROOT, env: { ...process.env, LOGWIRE_PORT: String(port), LOGWIRE_DATA: dir, LOGWIRE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    proc.stdout!.on('data', (d) => { out += d; });
    await waitFor(() => out.includes('listening on') && out.includes('demo:'), { timeoutMs: 20_000, what: 'npm start to announce the hub and the demo' });
    const token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    expect(out).toContain(`web page: http://127.0.0.1:${port}/ui/ — sign in with the token in ${join(dir, 'admin.token')}`);
    const stats = await waitFor(async () => {
      const s = (await (await fetch(`http://127.0.0.1:${port}/stats`, { headers: { authorization: `Bearer ${token}` } })).json()) as { total: number; logs_per_service: Record<string, number> };
      return s.total >= 20 && Object.keys(s.logs_per_service).length >= 3 ? s : undefined;
    }, { timeoutMs: 20_000, what: 'demo records to arrive' });
    expect(stats.total).toBeGreaterThanOrEqual(20);
    // Stop the whole group (npm, the hub, its demo shippers).
    const exited = new Promise<number | null>((r) => proc!.once('exit', (code) => r(code)));
    process.kill(-proc.pid!, 'SIGTERM');
    expect(await exited).not.toBeUndefined();
    proc = undefined;
  }, 60_000);
});
