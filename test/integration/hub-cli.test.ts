import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { HUB_MAIN, freePort, spawnHub, tempDir, type HubProcess } from '../helpers/hub.js';

let dir: string;
let proc: HubProcess | undefined;
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runHub(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [HUB_MAIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 15_000 });
}

describe('hub cli', () => {
  it('hub cli - a second hub on the same data directory exits at once, naming it and the holder', async () => {
    dir = tempDir();
    const first = await spawnHub(['--port', '0', '--data', dir]);
    proc = first;
    const t0 = Date.now();
    const second = runHub(['--port', '0', '--data', dir]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(second.status).toBe(1);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(dir);
    expect(lines[0]).toContain(`pid ${first.proc.pid}`);
    // The first one is untouched and still serves; after a kill -9 its stale lock is taken over.
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    await first.kill();
    proc = await spawnHub(['--port', '0', '--data', dir]);
    expect((await fetch(`${proc.url}/health`)).status).toBe(200);
  });

  it('hub cli - bad flags and startup failures print one line and exit 1', async () => {
    dir = tempDir();
    const taken = await spawnHub(['--port', '0', '--data', dir]);
    proc = taken;
    const cases: Array<[string[], RegExp]> = [
      [['--retention', 'forever'], /--retention: "forever" is not a duration/],
      [['--max-disk', 'lots'], /--max-disk: "lots" is not a size/],
      [['--port', '99999'], /--port: must be 0\.\.65535/],
      [['--tokens', `${dir}/missing.json`], /cannot read tokens file .*missing\.json: ENOENT/],
      [['--tls-cert', 'a.pem'], /TLS needs both --tls-cert and --tls-key/],
      [['--nats', 'http://x'], /--nats: "http:\/\/x" is not a NATS URL/],
      [['--prot', '1'], /Unknown argument: prot/],
      [['--port', String(taken.port)], /cannot listen on 127\.0\.0\.1:\d+: the port is in use/],
    ];
    const other = tempDir(); // the running hub holds `dir` (one hub per data directory)
    for (const [args, want] of cases) {
      const r = runHub([...args, '--data', other]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(/^logwire-hub: /);
      expect(r.stderr, args.join(' ')).toMatch(want);
    }
  });

  it('hub cli - LOGWIRE_<FLAG> sets a flag; variables meant for other programs are ignored; flags win', async () => {
    dir = tempDir();
    const port = await freePort();
    proc = await spawnHub(['--data', dir], { LOGWIRE_PORT: String(port), LOGWIRE_TOKEN: 'for-tail-cli', LOGWIRE_SERVICE: 'payments', LOGWIRE_SOMETHING_NEW: '1' });
    expect(proc.port).toBe(port);
    await proc.stop();
    proc = await spawnHub(['--data', dir, '--port', '0'], { LOGWIRE_PORT: String(port) });
    expect(proc.port).not.toBe(port);
  });
});
