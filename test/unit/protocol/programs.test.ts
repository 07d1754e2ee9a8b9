import { describe, expect, it } from 'vitest';
import { envForFlags, isLoopbackHost, parseEnvBool, plaintextWarning, readAdminToken } from '../../../hub/protocol/programs.js';
import { buildConfig as buildShipperConfig } from '../../../shipper/config.js';
import { buildConfig as buildTailConfig } from '../../../tail-cli/config.js';

describe('programs', () => {
  it('programs - LOGWIRE_<FLAG> is read for the given flags only; empty means unset', () => {
    const env = { LOGWIRE_HUB: 'ws://h', LOGWIRE_MAX_DISK: '1GB', LOGWIRE_PORT: '7070', LOGWIRE_TOKEN: ' ' };
    expect(envForFlags(['hub', 'max-disk', 'token'], env)).toEqual({ hub: 'ws://h', 'max-disk': '1GB' });
    expect([parseEnvBool('yes'), parseEnvBool('0'), parseEnvBool(''), parseEnvBool('maybe')]).toEqual([true, false, undefined, null]);
  });

  it('programs - the admin token file: found, missing, empty', () => {
    expect(readAdminToken('/d', () => ' tok\n')).toEqual({ token: 'tok', path: '/d/admin.token' });
    expect(readAdminToken('/d', () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); })).toMatchObject({ problem: 'not found' });
    expect(readAdminToken('/d', () => '\n')).toMatchObject({ problem: 'empty' });
  });

  it('programs - an unencrypted hub URL to another machine earns a warning; loopback and TLS do not', () => {
    for (const u of ['ws://127.0.0.1:7070/v1/ingest', 'ws://localhost:7070', 'http://[::1]:7070', 'wss://logs.example.com', 'https://10.0.0.5:7070']) expect(plaintextWarning(u), u).toBeUndefined();
    expect(plaintextWarning('ws://10.0.0.5:7070/v1/ingest')).toMatch(/^ws:\/\/10\.0\.0\.5:7070 is not encrypted.*use wss:\/\//);
    expect(plaintextWarning('http://logs.example.com')).toMatch(/use https:\/\//);
    expect(isLoopbackHost('127.8.9.10')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('programs - shipper and tail-cli both warn about a plaintext remote hub', () => {
    const s = buildShipperConfig({ hub: 'ws://logs.example.com:7070,wss://b.example.com', token: 't', stateDir: '/tmp/x' }, {});
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/logs\.example\.com:7070 is not encrypted/);
    expect(buildShipperConfig({ token: 't', stateDir: '/tmp/x' }, {}).warnings).toEqual([]);
    const t = buildTailConfig({ hub: 'http://logs.example.com:7070', token: 't' }, { env: {}, isTTY: false });
    expect(t.warnings[0]).toMatch(/not encrypted/);
  });
});
