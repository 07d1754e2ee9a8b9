import { describe, expect, it } from 'vitest';
import { HubError } from '../../../hub/errors.js';
import {
  DELETE_PARAMS, LOGS_PARAMS, MAX_LIMIT, decodeCursor, encodeCursor, parseLimit, parseOrder, parsePaging,
  parseRequiredTime, rejectUnknownParams, single,
} from '../../../hub/query/params.js';

function paramError(fn: () => unknown): HubError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).status).toBe(400);
    return err as HubError;
  }
  throw new Error('expected a 400');
}

describe('query/params', () => {
  it('query/params - limit defaults, accepts 1..max, names the parameter otherwise', () => {
    expect(parseLimit(undefined, 'limit', 100, MAX_LIMIT)).toBe(100);
    expect(parseLimit('', 'limit', 100, MAX_LIMIT)).toBe(100);
    expect(parseLimit('1', 'limit', 100, MAX_LIMIT)).toBe(1);
    expect(parseLimit(' 10000 ', 'limit', 100, MAX_LIMIT)).toBe(10000);
    for (const bad of ['0', '-1', '1.5', 'abc', '1e3', '10001', '99999999999999999999', 'NaN', '0x10']) {
      expect(paramError(() => parseLimit(bad, 'limit', 100, MAX_LIMIT)).param).toBe('limit');
    }
    expect(paramError(() => parseLimit('x', 'count', 100, MAX_LIMIT)).param).toBe('count');
  });

  it('query/params - an export limit has no cap', () => {
    expect(parseLimit('5000000', 'limit', Infinity, undefined)).toBe(5_000_000);
    expect(parseLimit(undefined, 'limit', Infinity, undefined)).toBe(Infinity);
  });

  it('query/params - order is asc or desc, case-insensitive', () => {
    expect(parseOrder(undefined, 'desc')).toBe('desc');
    expect(parseOrder('ASC', 'desc')).toBe('asc');
    expect(parseOrder('desc', 'asc')).toBe('desc');
    expect(paramError(() => parseOrder('newest', 'desc')).param).toBe('order');
  });

  it('query/params - unknown parameters are named; token is always allowed', () => {
    rejectUnknownParams(new URLSearchParams('service=a&timestamp_start=2025-01-01&token=x'), LOGS_PARAMS);
    const e = paramError(() => rejectUnknownParams(new URLSearchParams('service=a&servce=b'), LOGS_PARAMS));
    expect(e.param).toBe('servce');
    expect(e.message).toContain('servce');
    expect(paramError(() => rejectUnknownParams(new URLSearchParams('before=1d&service=a'), DELETE_PARAMS)).param).toBe('service');
  });

  it('query/params - a repeated single-valued parameter is a 400', () => {
    expect(single(new URLSearchParams('limit=5'), 'limit')).toBe('5');
    expect(single(new URLSearchParams(''), 'limit')).toBeUndefined();
    expect(paramError(() => single(new URLSearchParams('limit=5&limit=6'), 'limit')).param).toBe('limit');
  });

  it('query/params - before takes ISO without zone as UTC and relative times', () => {
    const now = Date.parse('2025-06-01T00:00:00Z');
    expect(parseRequiredTime('2025-01-01T00:00:00', 'before', now)).toBe(Date.parse('2025-01-01T00:00:00Z'));
    expect(parseRequiredTime('7d', 'before', now)).toBe(now - 7 * 86_400_000);
    expect(paramError(() => parseRequiredTime(undefined, 'before', now)).param).toBe('before');
    expect(paramError(() => parseRequiredTime('yesterday-ish', 'before', now)).param).toBe('before');
  });

  it('query/params - cursors round-trip and carry their order, sort key and event time', () => {
    for (const order of ['asc', 'desc'] as const) {
      const c = encodeCursor({ id: '0123456789abcdefghijklmn', order, by: 'receive' });
      expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(c)).toEqual({ id: '0123456789abcdefghijklmn', order, by: 'receive' });
      const e = encodeCursor({ id: '0123456789abcdefghijklmn', order, by: 'event', ts: 1_733_000_000_123 });
      expect(e).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(e)).toEqual({ id: '0123456789abcdefghijklmn', order, by: 'event', ts: 1_733_000_000_123 });
    }
  });

  it('query/params - forged or truncated cursors are refused', () => {
    const good = encodeCursor({ id: 'abc', order: 'asc', by: 'receive' });
    const forged = ['2a:abc', '2a:-5:abc', '2a:1.5:abc', '2d:12345678901234567:abc', '2a:12:a b'].map((t) => Buffer.from(t).toString('base64url'));
    for (const bad of ['', 'abc', good.slice(0, 3), `${good}!!`, Buffer.from('1x:abc').toString('base64url'), Buffer.from('1a:a b').toString('base64url'), 'A'.repeat(500), ...forged]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });

  it('query/params - paging follows the cursor, refuses contradictions', () => {
    const ID = '0123456789abcdefghijklmn';
    const IDR = '0123456789abcdefghijklmo';
    const asc = encodeCursor({ id: ID, order: 'asc', by: 'event', ts: 42 });
    expect(parsePaging(new URLSearchParams(''), 'desc')).toEqual({ order: 'desc', by: 'event' });
    expect(parsePaging(new URLSearchParams('order=asc'), 'desc')).toEqual({ order: 'asc', by: 'event' });
    expect(parsePaging(new URLSearchParams(`cursor=${asc}`), 'desc')).toEqual({ order: 'asc', by: 'event', after: ID, afterTs: 42 });
    expect(parsePaging(new URLSearchParams(`cursor=${asc}&order=asc`), 'desc')).toEqual({ order: 'asc', by: 'event', after: ID, afterTs: 42 });
    const receive = encodeCursor({ id: IDR, order: 'desc', by: 'receive' });
    expect(parsePaging(new URLSearchParams(`cursor=${receive}`), 'desc')).toEqual({ order: 'desc', by: 'receive', after: IDR });
    expect(paramError(() => parsePaging(new URLSearchParams(`cursor=${asc}&order=desc`), 'desc')).param).toBe('order');
    expect(paramError(() => parsePaging(new URLSearchParams('cursor=garbage'), 'desc')).param).toBe('cursor');
    expect(parsePaging(new URLSearchParams(`after=${ID}`), 'desc')).toEqual({ order: 'desc', by: 'receive', after: ID });
    expect(paramError(() => parsePaging(new URLSearchParams('after=abc123'), 'desc')).param).toBe('after');
    expect(paramError(() => parsePaging(new URLSearchParams(`cursor=${encodeCursor({ id: 'abc', order: 'asc', by: 'receive' })}`), 'desc')).param).toBe('cursor');
    expect(paramError(() => parsePaging(new URLSearchParams('after=a%20b'), 'desc')).param).toBe('after');
    expect(paramError(() => parsePaging(new URLSearchParams(`after=x&cursor=${asc}`), 'desc')).param).toBe('after');
  });
});
