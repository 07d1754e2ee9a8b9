import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUB_MAIN, spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { ensureAdminToken } from '../../../hub/auth/tokens.js';
import { waitFor } from '../../helpers/wait.js';
import { makeRecords, postLogs, sinkStats, writeSinksFile } from './helpers.js';

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

describe('sinks cli', () => {
  it('sinks cli - a bad sinks file stops the hub at startup with one line naming the sink and the key', () => {
    dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ sinks: [{ name: 'central', type: 'loki', url: 'http://x', lables: {} }] }));
    for (const r of [runHub(['--data', dir, '--sinks', bad]), runHub(['--data', dir], { LOGWIRE_SINKS: bad })]) {
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^logwire-hub: --sinks: sink "central": unknown key "lables"/);
    }
    const missing = runHub(['--data', dir, '--sinks', join(dir, 'nope.json')]);
    expect(missing.stderr).toMatch(/cannot read the sinks file \(ENOENT\)/);
  }, 90_000);

  it('sinks cli - logwire-hub sinks shows each sink\'s lag, counts and last error as a table', async () => {
    dir = tempDir();
    const token = ensureAdminToken(dir).token;
    const sinks = writeSinksFile(dir, [{ name: 'nowhere', type: 'http', url: 'http://127.0.0.1:1/', retry: { initial_ms: 50, max_ms: 200 } }]);
    proc = await spawnHub(['--port', '0', '--data', dir, '--sinks', sinks]);
    await postLogs(proc.url, token, makeRecords(25));
    await waitFor(async () => {
      const s = (await sinkStats(proc!.url, token))[0];
      return s?.lag_records === 25 && s.retried > 0;
    }, { what: 'the sink retrying with 25 records to send' });
    const table = runHub(['sinks', '--hub', proc.url, '--data', dir]);
    expect(table.status).toBe(0);
    const out = table.stdout;
    expect(out).toMatch(/nowhere\s+http\s+(retrying|sending)\s+25 \(/);
    expect(out).toMatch(/^SINK\s+TYPE\s+STATE\s+LAG\s+SENT\s+RETRIED\s+SKIPPED\s+LAST ERROR/);
    expect(out).toMatch(/unreachable/);
    const json = runHub(['sinks', '--hub', proc.url, '--token', token, '--json']);
    expect(JSON.parse(json.stdout)[0]).toMatchObject({ name: 'nowhere', lag_records: 25, sent: 0 });
    const refused = runHub(['sinks', '--hub', proc.url, '--token', 'wrong']);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^logwire-hub sinks: .* answered 401/);
  }, 90_000);
});
