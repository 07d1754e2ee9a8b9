/**
 * Errors for people: invalid config, unreadable file, bad token, unreachable hub each give one
 * clear line (no stack trace) and a non-zero exit; `check` prints per-step OK/FAIL lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { adminToken, allMessages, exactlyOnce, hubTotal, runShipper, spawnShipper } from './helpers.js';

let dir: string;
let hub: HubProcess;
let token: string;
beforeAll(async () => {
  dir = tempDir('lw-err-');
  hub = await spawnHub(['--port', '0', '--data', join(dir, 'hub')]);
  token = adminToken(join(dir, 'hub'));
  writeFileSync(join(dir, 'app.log'), 'hello\n');
});
afterAll(async () => {
  await hub.kill();
  rmSync(dir, { recursive: true, force: true });
});

const oneLine = (s: string) => s.trim().split('\n').filter(Boolean);

describe('shipper errors for people', () => {
  it('shipper - invalid config: one line, exit 2', async () => {
    const r = await runShipper(['--file', join(dir, 'app.log'), '--token', 'x', '--batch-max-records', '-3', '--state-dir', join(dir, 's1')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^logwire-shipper: batch-max-records must be a number/);
  });

  it('shipper - unreadable file: one line, non-zero exit', async () => {
    mkdirSync(join(dir, 'adir'), { recursive: true });
    const r = await runShipper(['--file', join(dir, 'adir'), '--hub', hub.wsUrl, '--token', token, '--state-dir', join(dir, 's2'), '--log-level', 'silent']);
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr)).toEqual([`logwire-shipper: ${join(dir, 'adir')} is not a regular file`]);
  });

  it('shipper - bad token: one line naming the token, non-zero exit', async () => {
    const r = await runShipper(['--file', join(dir, 'app.log'), '--hub', hub.wsUrl, '--token', 'wrong', '--state-dir', join(dir, 's3'), '--log-level', 'silent']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/refused the token \(HTTP 401\)/);
  });

  it('shipper - check: OK lines and exit 0 against a live hub; FAIL lines and exit 1 when unreachable', async () => {
    const ok = await runShipper(['check', '--file', join(dir, 'app.log'), '--hub', hub.wsUrl, '--token', token, '--state-dir', join(dir, 's4')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/OK +file .*app\.log is readable/);
    expect(ok.stdout).toMatch(/OK +token accepted/);
    const port = await freePort();
    const bad = await runShipper(['check', '--file', join(dir, 'nope.log'), '--hub', `ws://127.0.0.1:${port}`, '--token', 'wrong', '--state-dir', join(dir, 's5')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL +file .*nope\.log cannot be read: it does not exist/);
    expect(bad.stdout).toMatch(/FAIL +hub ws:\/\/127\.0\.0\.1:\d+\/v1\/ingest is unreachable: ECONNREFUSED/);
    expect(bad.stderr).toBe('');
    const badToken = await runShipper(['check', '--file', join(dir, 'app.log'), '--hub', hub.wsUrl, '--token', 'wrong', '--state-dir', join(dir, 's6')]);
    expect(badToken.code).toBe(1);
    expect(badToken.stdout).toMatch(/FAIL +token refused by the hub \(HTTP 401\)/);
  });

  it('shipper - an unrelated LOGWIRE_* variable is ignored; LOGWIRE_<FLAG> still sets the flag, the CLI flag wins', async () => {
    const env = { LOGWIRE_PORT: '7070', LOGWIRE_FOO: 'bar', LOGWIRE_HUB: hub.wsUrl, LOGWIRE_TOKEN: token, LOGWIRE_FILE: join(dir, 'app.log') };
    const r = await runShipper(['check', '--state-dir', join(dir, 's8')], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK +file .*app\.log is readable/);
    expect(r.stdout).toMatch(/OK +token accepted/);
    const port = await freePort();
    const cliWins = await runShipper(['check', '--hub', `ws://127.0.0.1:${port}`, '--state-dir', join(dir, 's9')], env);
    expect(cliWins.code).toBe(1);
    expect(cliWins.stdout).toMatch(new RegExp(`FAIL +hub ws://127\\.0\\.0\\.1:${port}/v1/ingest is unreachable`));
    // simulate has other flags: a LOGWIRE_FILE meant for `run` does not stop it either.
    const out = join(dir, 'sim');
    const sim = spawnShipper(['simulate', '--services', 'payments', '--out', out], { ...env, LOGWIRE_RATE: '50' });
    await waitFor(() => existsSync(join(out, 'payments.log')) || sim.proc.exitCode !== null, { what: 'simulate output' });
    await sim.stop();
    expect(sim.stderr()).toBe('');
    expect(existsSync(join(out, 'payments.log'))).toBe(true);
  });

  it('shipper - a batch whose frame exceeds the hub\'s max_batch_bytes (non-ASCII text beats the estimate) is split, not refused', async () => {
    const small = await spawnHub(['--port', '0', '--data', join(dir, 'hub-small'), '--max-batch-bytes', '65536']);
    try {
      const t = adminToken(join(dir, 'hub-small'));
      const file = join(dir, 'cjk.log');
      let text = '';
      for (let i = 1; i <= 600; i++) text += `2024-05-01T10:00:00.000Z INFO L${i} ${'日志行'.repeat(100)}\n`;
      writeFileSync(file, text);
      const s = spawnShipper(['--hub', small.wsUrl, '--token', t, '--file', file, '--service', 'cjk', '--state-dir', join(dir, 's10'), '--no-status', '--log-level', 'warn']);
      try {
        await waitFor(async () => (await hubTotal(small.url, t)) >= 600, { timeoutMs: 20_000, what: '600 records in the hub' });
        const { missing, duplicated } = exactlyOnce(await allMessages(small.url, t), 600);
        expect(missing).toEqual([]);
        expect(duplicated).toEqual([]);
        expect(s.stderr()).not.toMatch(/1009|too big/);
      } finally {
        await s.kill();
      }
    } finally {
      await small.kill();
    }
  });

  it('shipper - legacy .env names work (SOURCE, LOG_FILE, API_URL, API_TOKEN)', async () => {
    const env = join(dir, 'legacy.env');
    writeFileSync(env, `SOURCE=centos6\nLOG_FILE=${join(dir, 'app.log')}\nAPI_URL=${hub.url}/api/\nAPI_TOKEN=${token}\nMAX_RETRIES=5\n`);
    const r = await runShipper(['check', '--env-file', env, '--state-dir', join(dir, 's7')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/host centos6/);
  });
});
