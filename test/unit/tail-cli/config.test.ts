import { describe, expect, it } from 'vitest';
import { buildConfig, filterParams, parseHubUrl } from '../../../tail-cli/config.js';
import type { CliArgs, ConfigEnv } from '../../../tail-cli/config.js';
import { CliError } from '../../../tail-cli/errors.js';

const NOW = Date.parse('2025-04-01T12:00:00Z');

function ctx(env: Record<string, string> = {}, extra: Partial<ConfigEnv> = {}): ConfigEnv {
  return { env, isTTY: false, nowMs: NOW, readFile: () => { throw Object.assign(new Error('nope'), { code: 'ENOENT' }); }, ...extra };
}

function fails(args: CliArgs, c: ConfigEnv = ctx({ LOGWIRE_TOKEN: 't' })): CliError {
  try {
    buildConfig(args, c);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).not.toContain('\n');
    return err as CliError;
  }
  throw new Error('expected buildConfig to fail');
}

describe('config', () => {
  it('config - defaults: local hub, live, pretty', () => {
    const cfg = buildConfig({ token: 't' }, ctx());
    expect(cfg).toMatchObject({ httpUrl: 'http://127.0.0.1:7070', wsUrl: 'ws://127.0.0.1:7070', token: 't', follow: true, output: 'pretty', color: false });
    expect(cfg.sinceMs).toBeUndefined();
    expect(Object.isFrozen(cfg.filter)).toBe(true);
  });

  it('config - flags win over LOGWIRE_* environment, which wins over defaults', () => {
    const env = { LOGWIRE_HUB: 'http://env:1', LOGWIRE_TOKEN: 'envtok', LOGWIRE_SERVICE: 'a,b', LOGWIRE_OUTPUT: 'json', LOGWIRE_LIMIT: '5', LOGWIRE_NO_FOLLOW: '1', LOGWIRE_SEVERITY: 'WARN+' };
    const fromEnv = buildConfig({}, ctx(env));
    expect(fromEnv).toMatchObject({ httpUrl: 'http://env:1', token: 'envtok', output: 'json', limit: 5, follow: false });
    expect(fromEnv.filter.services).toEqual(['a', 'b']);
    expect(fromEnv.filter.severities).toEqual(['WARN+']);
    const fromFlags = buildConfig({ hub: 'https://flag:2', token: 'flagtok', service: ['c'], output: 'raw', limit: '7', follow: true }, ctx(env));
    expect(fromFlags).toMatchObject({ httpUrl: 'https://flag:2', wsUrl: 'wss://flag:2', token: 'flagtok', output: 'raw', limit: 7, follow: true });
    expect(fromFlags.filter.services).toEqual(['c']);
  });

  it('config - the token falls back to <data>/admin.token (--data, then LOGWIRE_DATA, then ./data)', () => {
    const seen: string[] = [];
    const readFile = (p: string): string => {
      seen.push(p);
      return 'lw_secret\n';
    };
    expect(buildConfig({ data: '/srv/hub' }, ctx({ LOGWIRE_DATA: '/env/data' }, { readFile })).token).toBe('lw_secret');
    expect(buildConfig({}, ctx({ LOGWIRE_DATA: '/env/data' }, { readFile })).token).toBe('lw_secret');
    buildConfig({}, ctx({}, { readFile }));
    expect(seen[0]).toBe('/srv/hub/admin.token');
    expect(seen[1]).toBe('/env/data/admin.token');
    expect(seen[2]).toMatch(/\/data\/admin\.token$/);
  });

  it('config - no token anywhere is one clear line', () => {
    expect(fails({}, ctx()).message).toMatch(/no token: pass --token or set LOGWIRE_TOKEN/);
  });

  it('config - repeated and comma-separated filters are lists', () => {
    const cfg = buildConfig({ token: 't', service: ['a,b', 'c'], host: ['h1'], file: ['/f'], grep: 'boom', regex: '(?i)^err', severity: ['error', 'WARN+'] }, ctx());
    const p = filterParams(cfg.filter);
    expect(p.getAll('service')).toEqual(['a', 'b', 'c']);
    expect(p.getAll('severity')).toEqual(['error', 'WARN+']);
    expect(p.toString()).toContain('severity=WARN%2B');
    expect(p.get('q')).toBe('boom');
    expect(p.get('regex')).toBe('(?i)^err');
    expect(p.get('host')).toBe('h1');
    expect(p.get('file')).toBe('/f');
  });

  it('config - --since takes durations and ISO times, and refuses anything else', () => {
    expect(buildConfig({ token: 't', since: '15m' }, ctx()).sinceMs).toBe(NOW - 15 * 60_000);
    expect(buildConfig({ token: 't', since: '2025-03-01T00:00:00Z' }, ctx()).sinceMs).toBe(Date.parse('2025-03-01T00:00:00Z'));
    expect(buildConfig({ token: 't', since: '2025-03-01 10:00' }, ctx()).sinceMs).toBe(Date.parse('2025-03-01T10:00:00Z'));
    const err = fails({ since: 'yesterday-ish' });
    expect(err.message).toMatch(/--since "yesterday-ish" is not a time/);
    expect(err.exitCode).toBe(2);
  });

  it('config - bad severity, regex, limit, output and hub are refused before any network use', () => {
    expect(fails({ severity: ['LOUD'] }).message).toMatch(/--severity "LOUD" is not a level/);
    expect(fails({ regex: '(' }).message).toMatch(/--regex "\(": invalid regex: missing closing \)/);
    expect(fails({ regex: 'x(?=y)' }).message).toMatch(/lookahead/);
    expect(fails({ limit: '0' }).message).toMatch(/--limit must be a whole number/);
    expect(fails({ limit: 'ten' }).message).toMatch(/--limit/);
    expect(fails({ output: 'xml' }).message).toMatch(/--output "xml" is not a format/);
    expect(fails({ hub: 'ftp://x' }).message).toMatch(/--hub/);
    expect(fails({}, ctx({ LOGWIRE_TOKEN: 't', LOGWIRE_NO_FOLLOW: 'maybe' })).message).toMatch(/LOGWIRE_NO_FOLLOW/);
  });

  it('config - colour only for pretty on a TTY, never with --no-color or NO_COLOR', () => {
    const tty = (env: Record<string, string> = {}) => ctx({ LOGWIRE_TOKEN: 't', ...env }, { isTTY: true });
    expect(buildConfig({}, tty()).color).toBe(true);
    expect(buildConfig({}, ctx({ LOGWIRE_TOKEN: 't' })).color).toBe(false);
    expect(buildConfig({ color: false }, tty()).color).toBe(false);
    expect(buildConfig({}, tty({ NO_COLOR: '1' })).color).toBe(false);
    expect(buildConfig({}, tty({ LOGWIRE_NO_COLOR: 'true' })).color).toBe(false);
    expect(buildConfig({}, tty({ TERM: 'dumb' })).color).toBe(false);
    expect(buildConfig({ output: 'json' }, tty()).color).toBe(false);
    expect(buildConfig({}, ctx({ LOGWIRE_TOKEN: 't', FORCE_COLOR: '1' })).color).toBe(true);
    expect(buildConfig({ color: true }, ctx({ LOGWIRE_TOKEN: 't' })).color).toBe(true);
  });

  it('config - hub URLs in any common spelling', () => {
    expect(parseHubUrl('ws://h:1/')).toEqual({ httpUrl: 'http://h:1', wsUrl: 'ws://h:1' });
    expect(parseHubUrl('wss://h')).toEqual({ httpUrl: 'https://h', wsUrl: 'wss://h' });
    expect(parseHubUrl('10.0.0.5:7070')).toEqual({ httpUrl: 'http://10.0.0.5:7070', wsUrl: 'ws://10.0.0.5:7070' });
    expect(parseHubUrl('https://logs.example.com/hub/')).toEqual({ httpUrl: 'https://logs.example.com/hub', wsUrl: 'wss://logs.example.com/hub' });
  });
});
