/**
 * The generated admin token (docs/tokens.md) against the real hub binary: created with O_EXCL and mode
 * 0600, never written through a planted symlink, and an existing file readable by others stops
 * startup with one line that says what to do.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HUB_MAIN, spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';

const dirs: string[] = [];
let proc: HubProcess | undefined;
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

function hubFails(data: string): string {
  const r = spawnSync(process.execPath, [HUB_MAIN, '--port', '0', '--data', data], { encoding: 'utf8', timeout: 15_000 });
  expect(r.status).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('admin token', () => {
  it('admin token - created mode 0600 and reused on restart', async () => {
    const data = dir();
    proc = await spawnHub(['--port', '0', '--data', data]);
    const path = join(data, 'admin.token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const token = readFileSync(path, 'utf8').trim();
    await proc.stop();
    proc = await spawnHub(['--port', '0', '--data', data]);
    expect(readFileSync(path, 'utf8').trim()).toBe(token);
    const res = await fetch(`${proc.url}/stats`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  it('admin token - a symlink planted as admin.token is refused, dangling or not, and its target untouched', () => {
    const data = dir();
    const outside = dir();
    const dangling = join(outside, 'created-through-the-link');
    symlinkSync(dangling, join(data, 'admin.token'));
    expect(hubFails(data)).toMatch(/admin\.token is a symbolic link; the hub does not follow it/);
    expect(existsSync(dangling)).toBe(false);

    const data2 = dir();
    const secret = join(outside, 'victim');
    writeFileSync(secret, 'lw_attacker_known_token\n', { mode: 0o600 });
    symlinkSync(secret, join(data2, 'admin.token'));
    expect(hubFails(data2)).toMatch(/symbolic link/);
  });

  it('admin token - an existing file readable by others stops startup with the fix', async () => {
    const data = dir();
    const path = join(data, 'admin.token');
    writeFileSync(path, 'lw_some_token\n');
    chmodSync(path, 0o644);
    expect(hubFails(data)).toMatch(/admin\.token has mode 0644, readable by others; run chmod 600/);
    chmodSync(path, 0o600);
    proc = await spawnHub(['--port', '0', '--data', data]);
    const res = await fetch(`${proc.url}/stats`, { headers: { authorization: 'Bearer lw_some_token' } });
    expect(res.status).toBe(200);
  });
});
