import { describe, expect, it } from 'vitest';
import { createLineParser, findSeverity, findTimestamp, isoToMs, parseJsonLine, type ShipRecord } from '../../../shipper/parse.js';
import { parseTime } from '../../../hub/protocol/index.js';

const opts = { service: 'app', host: 'h1', file: '/var/log/app.log', format: 'auto' as const, multiline: 'auto', multilineFlushMs: 100, maxLineBytes: 1000 };
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

function parseAll(lines: string[], o = opts): Array<{ rec: ShipRecord; end: number }> {
  const out: Array<{ rec: ShipRecord; end: number }> = [];
  const p = createLineParser(o, (rec, end) => out.push({ rec, end }));
  let off = 0;
  for (const l of lines) p.push(l, (off += l.length + 1), false, NOW);
  p.flush();
  return out;
}

describe('parse', () => {
  it('parse - timestamps: ISO, RFC 3339 with zone, syslog, common log; zone-less is UTC', () => {
    expect(findTimestamp('2024-05-01T10:00:00.123Z INFO x', NOW)).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 123));
    expect(findTimestamp('2024-05-01 10:00:00,5 x', NOW)).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 500));
    expect(findTimestamp('[2024-05-01T12:00:00+02:00] x', NOW)).toBe(Date.UTC(2024, 4, 1, 10, 0, 0));
    expect(findTimestamp('Apr 30 23:59:01 host sshd[1]: x', NOW)).toBe(Date.UTC(2024, 3, 30, 23, 59, 1));
    expect(findTimestamp('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /"', NOW)).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
    expect(findTimestamp('no time here', NOW)).toBeUndefined();
  });

  it('parse - isoToMs (fast path) agrees with parseTime on every form ISO_RE matches', () => {
    for (const s of ['2024-05-01T00:00:00.003Z', '2024-05-01 13:02', '2024-05-01T13:02:03', '2024-05-01T13:02:03,5+02:00', '2024-05-01T13:02:03.123456-0530', '2024-12-31T23:59:59.999+01:00', '2024-02-29T01:02:03Z', '2000-01-01T00:00:00.1Z']) {
      expect(isoToMs(s), s).toBe(parseTime(s.replace(',', '.'), NOW));
    }
    // At the start of a line (fast path) the same values as found by the regex elsewhere.
    for (const l of ['2024-05-01T10:00:00.123Z INFO x', '2024-05-01 10:00:00,5 x', '2024-05-01T12:00:00+02:00 x', '2024-05-01T12:00:00-xx y', '2024-05-01T12:00 z', '2024-05-01T12:00:00. a']) {
      expect(findTimestamp(l, NOW), l).toBe(findTimestamp(`[${l}`, NOW));
    }
    expect(isoToMs('2023-02-29T00:00:00Z')).toBeUndefined();
    expect(isoToMs('2024-13-01T00:00:00Z')).toBeUndefined();
  });

  it('parse - a JSON-looking line with text after the object is plain text', () => {
    expect(parseJsonLine('{"msg":"a"} trace_id=1', opts, NOW)).toBeUndefined();
    expect(parseJsonLine('{"msg":"a"}  ', opts, NOW)?.message).toBe('a');
  });

  it('parse - severity words, level=, bracketed; message words in lower case do not count', () => {
    expect(findSeverity('2024-05-01 WARNING disk low')).toBe('WARN');
    expect(findSeverity('x level=error y')).toBe('ERROR');
    expect(findSeverity('[crit] boom')).toBe('FATAL');
    expect(findSeverity('the error was handled')).toBeUndefined();
  });

  it('parse - JSON lines: common names taken, the rest kept in fields, pino numbers mapped', () => {
    const r = parseJsonLine('{"level":50,"time":1714557600000,"msg":"boom","service":"pay","reqId":"r1"}', opts, NOW)!;
    expect(r).toMatchObject({ ts: 1714557600000, severity: 'ERROR', message: 'boom', service: 'pay', host: 'h1', fields: { reqId: 'r1' } });
    const u = parseJsonLine('{"severity":"LOUD","message":"m","@timestamp":"2024-05-01T00:00:00Z"}', opts, NOW)!;
    expect(u).toMatchObject({ severity: 'INFO', fields: { level: 'LOUD' }, ts: Date.UTC(2024, 4, 1) });
    expect(parseJsonLine('{not json', opts, NOW)).toBeUndefined();
  });

  it('parse - epoch times by magnitude (s, ms, µs, ns); a time the hub would refuse becomes the read time, kept in fields', () => {
    const at = Date.UTC(2024, 4, 1, 10, 0, 0);
    for (const t of [at / 1000, at, at * 1000, `${at}000000`, at * 1e6]) {
      expect(parseJsonLine(`{"time":${typeof t === 'string' ? t : t},"msg":"m"}`, opts, NOW)?.ts, String(t)).toBe(at);
    }
    // zerolog/zap style nanoseconds as a string
    expect(parseJsonLine(`{"ts":"${at}000000","msg":"m"}`, opts, NOW)?.ts).toBe(at);
    const ahead = parseJsonLine('{"time":"2999-01-01T00:00:00Z","msg":"m"}', opts, NOW)!;
    expect(ahead.ts).toBe(NOW);
    expect(ahead.fields).toEqual({ time: '2999-01-01T00:00:00Z' });
    expect(parseJsonLine('{"time":-5,"msg":"m"}', opts, NOW)!.ts).toBe(NOW);
    expect(parseAll(['9999-12-31T23:59:59Z INFO far future'])[0].rec.ts).toBe(NOW);
  });

  it('parse - multiline: stack trace lines join the record before, offsets cover the last line', () => {
    const lines = ['2024-05-01T10:00:00Z ERROR failed', '\tat a.b(C.java:1)', 'Caused by: x', '\t... 3 more', '2024-05-01T10:00:01Z INFO next'];
    const out = parseAll(lines);
    expect(out).toHaveLength(2);
    expect(out[0].rec.message).toBe(lines.slice(0, 4).join('\n'));
    expect(out[0].rec.severity).toBe('ERROR');
    expect(out[0].end).toBe(lines.slice(0, 4).join('\n').length + 1);
  });

  it('parse - multiline pending record is flushed after the idle timeout, not before', () => {
    const out: ShipRecord[] = [];
    const p = createLineParser(opts, (r) => out.push(r));
    p.push('first', 6, false, NOW);
    p.flushIfIdle(NOW + 50);
    expect(out).toHaveLength(0);
    p.flushIfIdle(NOW + 100);
    expect(out).toHaveLength(1);
  });

  it('parse - custom start pattern and off mode; truncated lines are flagged', () => {
    const custom = parseAll(['[1] a', 'b', '[2] c'], { ...opts, multiline: '^\\[\\d+\\]' });
    expect(custom.map((o) => o.rec.message)).toEqual(['[1] a\nb', '[2] c']);
    const off = parseAll(['a', '  b'], { ...opts, multiline: 'off' });
    expect(off).toHaveLength(2);
    const out: ShipRecord[] = [];
    const p = createLineParser(opts, (r) => out.push(r));
    p.push('x'.repeat(10), 11, true, NOW);
    p.flush();
    expect(out[0].truncated).toBe(true);
  });
});
