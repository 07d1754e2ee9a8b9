import { describe, expect, it } from 'vitest';
import { checkPeerRecord, checkPeerRecords, isWireFilter, recordFitsSubject } from '../../../hub/bus/peer-input.js';
import { LossTracker } from '../../../hub/bus/envelope.js';
import { DEFAULT_LIMITS } from '../../../hub/protocol/record.js';
import type { WireRecord } from '../../../hub/protocol/frames.js';

const now = Date.now();
const good = (): Record<string, unknown> => ({ id: '0123456789abcdefghijklmn', ts: now, rts: now, service: 'pay.ments', severity: 'WARN', message: 'm' });
const limits = { ...DEFAULT_LIMITS, maxMessageBytes: 10 };

describe('peer-input - records from NATS are held to ingest rules', () => {
  it('peer-input - each defect is a reason; a good record is rebuilt with known keys only', () => {
    const bad: Array<[Record<string, unknown> | unknown, string]> = [
      ['x', 'not_a_map'],
      [{ ...good(), message: undefined }, 'missing_message'],
      [{ ...good(), message: 5 }, 'invalid_message'],
      [{ ...good(), id: 'short' }, 'invalid_id'],
      [{ ...good(), service: '' }, 'invalid_service'],
      [{ ...good(), service: 'x'.repeat(129) }, 'service_too_long'],
      [{ ...good(), severity: 'warn' }, 'invalid_severity'],
      [{ ...good(), ts: 1.5 }, 'invalid_timestamp'],
      [{ ...good(), rts: now + 30 * 3600_000 }, 'invalid_timestamp'],
      [{ ...good(), host: 'a\nb' }, 'invalid_host'],
      [{ ...good(), file: 7 }, 'invalid_file'],
      [{ ...good(), fields: [1] }, 'invalid_fields'],
      [{ ...good(), fields: { big: 'x'.repeat(70_000) } }, 'fields_too_large'],
    ];
    for (const [raw, reason] of bad) expect(checkPeerRecord(raw, limits, now), reason).toEqual({ ok: false, reason });
    const ok = checkPeerRecord({ ...good(), message: 'a message longer than ten bytes', evil: 1, fields: { k: 'v' } }, limits, now);
    expect(ok).toEqual({ ok: true, record: { ...good(), message: 'a message ', fields: { k: 'v' }, truncated: true } });
  });

  it('peer-input - a record must belong on its subject; a filter keep-check drops the rest', () => {
    const r = good() as unknown as WireRecord;
    expect(recordFitsSubject(r, 'logwire.logs.pay_ments.WARN')).toBe(true);
    expect(recordFitsSubject(r, 'logwire.logs.pay_ments.INFO')).toBe(false);
    expect(recordFitsSubject(r, 'logwire.logs.other.WARN')).toBe(false);
    const reasons: string[] = [];
    const out = checkPeerRecords([good(), { ...good(), service: 'b' }, null], limits, (x) => reasons.push(x), (x) => (x.service === 'b' ? 'filter_mismatch' : undefined));
    expect(out.length).toBe(1);
    expect(reasons).toEqual(['filter_mismatch', 'not_a_map']);
  });

  it('peer-input - history request filters must be lists of strings, numbers and strings', () => {
    expect(isWireFilter({ services: ['a'], severities: ['INFO'], from: 1, regex: 'x' })).toBe(true);
    for (const f of [null, [], { services: 'a' }, { hosts: [{}] }, { severities: ['LOUD'] }, { from: 'now' }, { to: Infinity }, { regex: 5 }, { services: Array(1001).fill('a') }]) {
      expect(isWireFilter(f), JSON.stringify(f)).toBe(false);
    }
  });
});

describe('envelope - loss and replay tracking', () => {
  it('envelope - a gap is counted as lost; an envelope starting below the counter is a replay', () => {
    const t = new LossTracker();
    const env = (n: number, count: number) => ({ o: 'o', n, r: Array(count).fill({}) });
    expect(t.observe('s', env(0, 3))).toBe(0);
    expect(t.observe('s', env(5, 1))).toBe(2);
    expect(t.observe('s', env(0, 3))).toBe('replayed');
    expect(t.observe('s', env(5, 1))).toBe('replayed');
    expect(t.observe('s', env(6, 1))).toBe(0);
  });
});
