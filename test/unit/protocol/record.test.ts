import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, toJsonRecord, truncateUtf8, validateRecord, type ValidationContext } from '../../../hub/protocol/record.js';

const NOW = Date.parse('2025-04-01T12:00:00Z');
const ctx: ValidationContext = { limits: DEFAULT_LIMITS, services: '*', nowMs: NOW };

describe('record', () => {
  it('record - the reference JSON shape is accepted as is', () => {
    const v = validateRecord({ timestamp: '2025-04-01T10:00:00', service: 'auth-service', severity: 'WARNING', message: 'User login successful' }, ctx);
    expect(v).toEqual({ ok: true, record: { ts: Date.parse('2025-04-01T10:00:00Z'), service: 'auth-service', severity: 'WARN', message: 'User login successful' } });
  });

  it('record - defaults: hub time, INFO, shipping host, token service', () => {
    const v = validateRecord({ message: 'hi' }, { ...ctx, services: ['payments', 'billing'], defaultHost: 'web-1' });
    expect(v).toEqual({ ok: true, record: { ts: NOW, service: 'payments', severity: 'INFO', message: 'hi', host: 'web-1' } });
  });

  it('record - each rejection has its own reason', () => {
    const cases: Array<[unknown, string, Partial<ValidationContext>?]> = [
      [[1], 'not_a_map'],
      ['x', 'not_a_map'],
      [{ service: 'a' }, 'missing_message'],
      [{ message: { a: 1 } }, 'invalid_message'],
      [{ message: 'm', service: '' }, 'invalid_service'],
      [{ message: 'm', service: 'a\nb' }, 'invalid_service'],
      [{ message: 'm', service: 's'.repeat(129) }, 'service_too_long'],
      [{ message: 'm', service: 'other' }, 'forbidden_service', { services: ['payments'] }],
      [{ message: 'm', timestamp: 'yesterday' }, 'invalid_timestamp'],
      [{ message: 'm', host: 5 }, 'invalid_host'],
      [{ message: 'm', file: '' }, 'invalid_file'],
      [{ message: 'm', fields: [1] }, 'invalid_fields'],
      [{ message: 'm', fields: { big: 'x'.repeat(70_000) } }, 'fields_too_large'],
    ];
    for (const [input, reason, extra] of cases) expect(validateRecord(input, { ...ctx, ...extra }), reason).toEqual({ ok: false, reason });
  });

  it('record - hostile nesting in fields is refused, never a stack overflow', () => {
    let f: Record<string, unknown> = {};
    const deep = f;
    for (let i = 0; i < 200_000; i++) f = (f.a = {}) as Record<string, unknown>;
    expect(validateRecord({ message: 'm', fields: deep }, ctx)).toEqual({ ok: false, reason: 'fields_too_deep' });
    const wide = JSON.parse(`{"message":"m","fields":{"x":${"[".repeat(40)}1${"]".repeat(40)}}}`);
    expect(validateRecord(wide, ctx)).toEqual({ ok: false, reason: 'fields_too_deep' });
    expect(validateRecord({ message: 'm', fields: { a: { b: [1, 'two', { c: null }] } } }, ctx).ok).toBe(true);
  });

  it('record - a service of exactly 128 characters is fine', () => {
    expect(validateRecord({ message: 'm', service: 's'.repeat(128) }, ctx).ok).toBe(true);
  });

  it('record - long messages are truncated at a UTF-8 boundary and flagged', () => {
    const v = validateRecord({ message: 'é'.repeat(100) }, { ...ctx, limits: { ...DEFAULT_LIMITS, maxMessageBytes: 51 } });
    expect(v.ok && v.record.truncated).toBe(true);
    expect(v.ok && v.record.message).toBe('é'.repeat(25));
    expect(truncateUtf8('abc', 10)).toEqual({ message: 'abc', truncated: false });
  });

  it('record - unknown severities are INFO with the original in fields.level; unknown keys go to fields', () => {
    const v = validateRecord({ message: 'm', level: 'LOUD', request_id: 'r1' }, ctx);
    expect(v).toEqual({ ok: true, record: { ts: NOW, service: 'unknown', severity: 'INFO', message: 'm', fields: { request_id: 'r1', level: 'LOUD' } } });
  });

  it('record - JSON shape uses ISO times', () => {
    expect(toJsonRecord({ id: 'x', ts: NOW, rts: NOW + 1, service: 's', severity: 'INFO', message: 'm', truncated: true })).toEqual({
      id: 'x', timestamp: '2025-04-01T12:00:00.000Z', received_at: '2025-04-01T12:00:00.001Z', service: 's', severity: 'INFO', message: 'm', truncated: true,
    });
  });
});
