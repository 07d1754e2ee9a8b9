import { describe, expect, it } from 'vitest';
import type { JsonRecord } from '../../../hub/protocol/index.js';
import { createFormatter, escapeControls, formatPretty, SEVERITY_COLOR, withoutRestatedPrefix } from '../../../tail-cli/output.js';

const rec: JsonRecord = {
  id: '01abc',
  timestamp: '2025-04-01T12:00:00.123Z',
  received_at: '2025-04-01T12:00:00.200Z',
  service: 'payments',
  severity: 'ERROR',
  message: 'charge failed',
  host: 'web-1',
  file: '/var/log/pay.log',
};

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

describe('output', () => {
  it('output - pretty shows time, host, service, severity and message on one line', () => {
    const line = createFormatter({ format: 'pretty', color: false })(rec);
    expect(line).toBe('2025-04-01T12:00:00.123Z web-1 payments ERROR charge failed\n');
  });

  it('output - pretty without colour has no escape codes; with colour the severity is coloured', () => {
    const plain = createFormatter({ format: 'pretty', color: false })(rec);
    expect(plain).not.toMatch(ANSI);
    const coloured = createFormatter({ format: 'pretty', color: true })(rec);
    expect(coloured).toContain(`${SEVERITY_COLOR.ERROR}ERROR`);
    expect(coloured.replace(ANSI, '')).toBe(plain);
  });

  it('output - pretty pads severities so messages line up', () => {
    const f = createFormatter({ format: 'pretty', color: false });
    const a = f({ ...rec, severity: 'WARN' });
    const b = f({ ...rec, severity: 'ERROR' });
    expect(a.indexOf('charge')).toBe(b.indexOf('charge'));
  });

  it('output - pretty indents continuation lines of stack traces under a gutter', () => {
    const message = 'TypeError: x is undefined\n    at charge (pay.js:10:3)\r\n    at main (pay.js:1:1)\n';
    const out = createFormatter({ format: 'pretty', color: false })({ ...rec, message });
    expect(out.split('\n')).toEqual([
      '2025-04-01T12:00:00.123Z web-1 payments ERROR TypeError: x is undefined',
      '  │     at charge (pay.js:10:3)',
      '  │     at main (pay.js:1:1)',
      '',
    ]);
  });

  it('output - pretty shows fields, missing host, and truncation', () => {
    const out = createFormatter({ format: 'pretty', color: false })({ ...rec, host: undefined, fields: { user: 42, note: 'two words' }, truncated: true });
    expect(out).toBe('2025-04-01T12:00:00.123Z - payments ERROR charge failed user=42 note="two words" [truncated]\n');
  });

  it('output - pretty escapes control characters so a log cannot drive the terminal', () => {
    const out = createFormatter({ format: 'pretty', color: false })({ ...rec, message: 'evil \x1b[2J\x07 done' });
    expect(out).not.toContain('\x1b');
    expect(out).toContain('evil \\u001b[2J\\u0007 done');
    expect(escapeControls('tab\tkept')).toBe('tab\tkept');
  });

  it('output - json is one parseable record per line, exactly the HTTP shape', () => {
    const message = 'line one\nline two';
    const out = createFormatter({ format: 'json', color: true })({ ...rec, message });
    expect(out.endsWith('\n')).toBe(true);
    expect(out.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(out)).toEqual({ ...rec, message });
  });

  it('output - raw is the message only, unchanged', () => {
    expect(createFormatter({ format: 'raw', color: true })({ ...rec, message: 'a\tb' })).toBe('a\tb\n');
  });
});

describe('output - restated prefix', () => {
  const base = { id: 'x', timestamp: '2026-11-21T11:27:21.710Z', received_at: '2026-11-21T11:27:21.720Z', service: 'auth', severity: 'INFO', host: 'web-1' };
  it('output - pretty drops a leading time, level and [service] that restate the record', () => {
    const r = { ...base, message: '2026-11-21T11:27:21.710Z INFO  [auth] login failed user=u_3310' };
    expect(withoutRestatedPrefix(r)).toBe('login failed user=u_3310');
    expect(formatPretty(r, false)).toBe('2026-11-21T11:27:21.710Z web-1 auth INFO  login failed user=u_3310\n');
  });

  it('output - pretty keeps the line when the prefix says something else', () => {
    const otherTime = { ...base, message: '2026-11-21T11:27:22.000Z INFO login' };
    expect(withoutRestatedPrefix(otherTime)).toBe(otherTime.message);
    const otherLevel = { ...base, message: '2026-11-21T11:27:21.710Z WARN disk almost full' };
    expect(withoutRestatedPrefix(otherLevel)).toBe('WARN disk almost full');
    const onlyPrefix = { ...base, message: '2026-11-21T11:27:21.710Z ' };
    expect(withoutRestatedPrefix(onlyPrefix)).toBe(onlyPrefix.message);
    expect(createFormatter({ format: 'raw', color: false })({ ...base, message: '2026-11-21T11:27:21.710Z INFO x' })).toBe('2026-11-21T11:27:21.710Z INFO x\n');
  });
});
