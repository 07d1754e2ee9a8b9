import { describe, expect, it } from 'vitest';
import type { WireRecord } from '../../../hub/protocol/frames.js';
import { toJsonRecord } from '../../../hub/protocol/record.js';
import { createRecordSerializer, recordsJsonArray } from '../../../hub/query/record-json.js';

const base: WireRecord = { id: '0abc', ts: Date.parse('2025-04-01T12:00:00.123Z'), rts: Date.parse('2025-04-01T12:00:01Z'), service: 'auth-service', severity: 'ERROR', message: 'hello' };
const cases: WireRecord[] = [
  base,
  { ...base, host: 'web-1', file: '/var/log/a.log' },
  { ...base, message: 'quotes " backslash \\ newline \n tab \t nul \u0000 emoji 🎉 lone \ud800 end', service: 'svc "x"' },
  { ...base, fields: { level: 'LOUD', nested: { a: [1, 2, { b: null }] }, s: 'é' } },
  { ...base, truncated: true, host: 'h', fields: {} },
  { ...base, ts: 0, rts: 1 },
];

describe('query/record-json', () => {
  it('query/record-json - writes exactly what JSON.stringify(toJsonRecord(r)) writes', () => {
    const ser = createRecordSerializer();
    for (const r of cases) {
      expect(ser(r)).toBe(JSON.stringify(toJsonRecord(r)));
      expect(JSON.parse(ser(r))).toEqual(toJsonRecord(r));
    }
  });

  it('query/record-json - the time cache never leaks between records', () => {
    const ser = createRecordSerializer();
    const rows = [base, { ...base, rts: base.rts + 1 }, { ...base, ts: base.ts + 5 }, base];
    for (const r of rows) expect(ser(r)).toBe(JSON.stringify(toJsonRecord(r)));
  });

  it('query/record-json - arrays', () => {
    expect(recordsJsonArray([])).toBe('[]');
    expect(recordsJsonArray(cases)).toBe(JSON.stringify(cases.map(toJsonRecord)));
  });

  it('query/record-json - an unrepresentable time is null instead of a failed response', () => {
    const out = JSON.parse(createRecordSerializer()({ ...base, ts: 1e20 }));
    expect(out.timestamp).toBeNull();
    expect(out.message).toBe('hello');
  });
});
