import { describe, expect, it } from 'vitest';
import { matchRecord, parseFilter } from '../../../hub/filter/filter.js';
import type { WireRecord } from '../../../hub/protocol/frames.js';

const NOW = Date.parse('2025-04-01T12:00:00Z');
const params = (p: Record<string, string | string[]>) => (name: string) => {
  const v = p[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
const rec = (over: Partial<WireRecord> = {}): WireRecord => ({ id: 'a', ts: NOW, rts: NOW, service: 'payments', severity: 'ERROR', message: 'Card DECLINED for order 7', host: 'web-1', file: '/var/log/app.log', ...over });

describe('filter', () => {
  it('filter - repeated and comma-separated values mean any of', () => {
    const r = parseFilter(params({ service: ['payments,auth', 'billing'], severity: 'WARN+' }), NOW);
    expect(r.ok && [...r.filter.services!]).toEqual(['payments', 'auth', 'billing']);
    expect(r.ok && [...r.filter.severities!]).toEqual(['WARN', 'ERROR', 'FATAL']);
  });

  it('filter - reference aliases for time ranges and relative times', () => {
    const r = parseFilter(params({ timestamp_start: '2025-04-01T10:00:00', timestamp_end: '1h', received_at_start: '2d' }), NOW);
    expect(r).toMatchObject({ ok: true, filter: { from: Date.parse('2025-04-01T10:00:00Z'), to: NOW - 3_600_000, receivedFrom: NOW - 2 * 86_400_000 } });
  });

  it('filter - errors name the parameter', () => {
    expect(parseFilter(params({ severity: 'LOUD' }), NOW)).toMatchObject({ ok: false, param: 'severity' });
    expect(parseFilter(params({ from: 'yesterday' }), NOW)).toMatchObject({ ok: false, param: 'from' });
    expect(parseFilter(params({ received_at_end: 'x' }), NOW)).toMatchObject({ ok: false, param: 'received_at_end' });
    expect(parseFilter(params({ regex: '(' }), NOW)).toMatchObject({ ok: false, param: 'regex' });
  });

  it('filter - matching on labels, time, q (case-insensitive) and regex', () => {
    const f = (p: Record<string, string>) => {
      const r = parseFilter(params(p), NOW);
      if (!r.ok) throw new Error(r.message);
      return r.filter;
    };
    expect(matchRecord(f({ service: 'payments', severity: 'ERROR+' }), rec())).toBe(true);
    expect(matchRecord(f({ service: 'auth' }), rec())).toBe(false);
    expect(matchRecord(f({ host: 'web-2' }), rec())).toBe(false);
    expect(matchRecord(f({ file: 'app.log' }), rec())).toBe(true); // basename matches, as reference clients send it
    expect(matchRecord(f({ q: 'card declined' }), rec())).toBe(true);
    expect(matchRecord(f({ q: 'a.b' }), rec({ message: 'axb' }))).toBe(false); // q is literal, not a pattern
    expect(matchRecord(f({ regex: 'order \\d+$' }), rec())).toBe(true);
    expect(matchRecord(f({ from: '2025-04-01T12:00:01Z' }), rec())).toBe(false);
    expect(matchRecord(f({ received_to: '2025-04-01T11:59:59Z' }), rec())).toBe(false);
  });
});
