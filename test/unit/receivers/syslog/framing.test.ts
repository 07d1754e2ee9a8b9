import { describe, expect, it } from 'vitest';
import { splitFrames } from '../../../../hub/receivers/syslog/framing.js';
import { parseSyslog, syslogRecord } from '../../../../hub/receivers/syslog/parse.js';

const text = (bs: Buffer[]) => bs.map((b) => b.toString());

describe('receivers/syslog', () => {
  it('receivers/syslog/framing - octet counting (with rsyslog\'s counted newline) and newlines, split at every offset', () => {
    const octet = Buffer.from('10 <13>1 - a\n15 <14>1 - ééé\n');
    const lines = Buffer.from('<13>one\n<13>two\r\n');
    for (const [input, want] of [[octet, ['<13>1 - a', '<14>1 - ééé']], [lines, ['<13>one', '<13>two']]] as const) {
      for (let cut = 0; cut <= input.length; cut++) {
        const first = splitFrames(input.subarray(0, cut), 1000);
        const second = splitFrames(Buffer.concat([first.rest, input.subarray(cut)]), 1000, first.framing);
        expect([...text(first.messages), ...text(second.messages)], `cut at ${cut}`).toEqual(want);
        expect(second.rest.length).toBe(0);
      }
    }
  });

  it('receivers/syslog/framing - errors keep the good frames before them', () => {
    const r = splitFrames(Buffer.from('3 abc5x def'), 100);
    expect(text(r.messages)).toEqual(['abc']);
    expect(r.error).toMatch(/LENGTH SP/);
    expect(splitFrames(Buffer.from('500 x'), 100).error).toMatch(/over the 100-byte limit/);
    expect(splitFrames(Buffer.alloc(200, 0x61), 100).error).toMatch(/no newline/);
  });

  it('receivers/syslog/parse - RFC 5424 with structured data escapes and a BOM', () => {
    const p = parseSyslog('<165>1 2026-01-01T10:00:00.123456+02:00 host-1 app 42 ID7 [exampleSDID@32473 iut="3" eventSource="Appl\\"x\\]"][b@1 k="v"] \uFEFFhello world');
    expect(p).toEqual({ pri: 165, ts: Date.parse('2026-01-01T08:00:00.123Z'), host: 'host-1', app: 'app', procid: '42', msgid: 'ID7', sd: { 'exampleSDID@32473': { iut: '3', eventSource: 'Appl"x]' }, 'b@1': { k: 'v' } }, message: 'hello world' });
    expect(syslogRecord('<165>1 - - - - - - m')).toEqual({ service: 'syslog', severity: 5, message: 'm', fields: { facility: 'local4' } });
  });

  it('receivers/syslog/parse - RFC 3164 with and without hostname, and no PRI at all', () => {
    const now = Date.UTC(2026, 5, 1);
    expect(parseSyslog('<34>Oct  5 22:14:15 mymachine su[230]: \'su root\' failed', now)).toEqual({ pri: 34, ts: Date.UTC(2026, 9, 5, 22, 14, 15), host: 'mymachine', app: 'su', procid: '230', message: "'su root' failed" });
    expect(parseSyslog('<13>Jan 10 01:02:03 cron: job ran', now)).toMatchObject({ app: 'cron', message: 'job ran' });
    expect(syslogRecord('just text')).toEqual({ service: 'syslog', message: 'just text' });
  });
});
