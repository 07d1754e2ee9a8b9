import { describe, expect, it } from 'vitest';
import { parseSinks } from '../../../hub/sinks/config.js';
import { formatSinkTable } from '../../../hub/sinks/table.js';
import { parseRetryAfter, retryDelayMs } from '../../../hub/sinks/backoff.js';
import { refusedCount } from '../../../hub/sinks/loki-push.js';
import { indexName } from '../../../hub/sinks/elasticsearch.js';

const one = (sink: Record<string, unknown>) => parseSinks(JSON.stringify({ sinks: [sink] }))[0];

describe('sinks/config', () => {
  it('sinks/config - base URLs are completed with each type\'s endpoint; defaults filled in', () => {
    expect(one({ name: 'l', type: 'loki', url: 'http://loki:3100' }).url).toBe('http://loki:3100/loki/api/v1/push');
    expect(one({ name: 'e', type: 'elasticsearch', url: 'https://es:9200/' }).url).toBe('https://es:9200/_bulk');
    expect(one({ name: 'w', type: 'logwire', url: 'http://central:7070' }).url).toBe('ws://central:7070/v1/ingest');
    expect(one({ name: 'h', type: 'http', url: 'http://x/in' }).url).toBe('http://x/in');
    const s = one({ name: 'l', type: 'loki', url: 'http://loki:3100/custom/push' });
    expect(s).toMatchObject({ url: 'http://loki:3100/custom/push', encoding: 'protobuf', startAt: 'oldest', tls: { rejectUnauthorized: true } });
    expect(s.batchRecords).toBeGreaterThan(0);
  });

  it('sinks/config - the filter uses the history-query syntax, severity X+ included', () => {
    const s = one({ name: 'x', type: 'http', url: 'http://x/', filter: { service: ['a', 'b'], severity: 'WARN+', q: 'Timeout' } });
    expect([...s.filter.services!]).toEqual(['a', 'b']);
    expect([...s.filter.severities!]).toEqual(['WARN', 'ERROR', 'FATAL']);
    expect(s.filter.q).toBe('timeout');
  });

  it('sinks/config - unknown keys, bad values and duplicate names are refused with where and why', () => {
    const bad = (sinks: unknown, re: RegExp) => expect(() => parseSinks(JSON.stringify({ sinks }))).toThrow(re);
    bad([{ name: 'x', type: 'http', url: 'http://x', batchsize: 3 }], /sink "x": unknown key "batchsize"/);
    bad([{ name: 'x', type: 'http', url: 'http://x', batch: { records: 3 } }], /sink "x" batch: unknown key "records"/);
    bad([{ name: 'x', type: 'kafka', url: 'http://x' }], /"type" must be one of loki, elasticsearch, logwire, http/);
    bad([{ name: 'x', type: 'http' }], /"url" is required/);
    bad([{ name: 'x', type: 'http', url: 'http://x', filter: { severity: 'LOUD' } }], /sink "x" filter: severity "LOUD" is not a level/);
    bad([{ name: 'x', type: 'http', url: 'http://x', filter: { regex: '(' } }], /sink "x" filter: invalid regex/);
    bad([{ name: 'x', type: 'http', url: 'http://x', index: 'i' }], /"index" applies to elasticsearch sinks only/);
    bad([{ name: 'x', type: 'http', url: 'http://x' }, { name: 'x', type: 'http', url: 'http://y' }], /used twice/);
    bad([{ name: 'x', type: 'http', url: 'http://x', tls: { ca: '/nonexistent/ca.pem' } }], /cannot read the CA file/);
    expect(() => parseSinks('{"sinks": [], "extra": 1}')).toThrow(/unknown key "extra"/);
    expect(() => parseSinks('not json')).toThrow(/not valid JSON/);
  });
});

describe('sinks/backoff', () => {
  it('sinks/backoff - Retry-After in seconds or as a date; it wins when longer than the backoff', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(retryDelayMs(0, 100, 1000, 5000)).toBe(5000);
    for (let i = 0; i < 50; i++) {
      const d = retryDelayMs(10, 100, 1000);
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });
});

describe('sinks/formats', () => {
  it('sinks/formats - Loki and logwire partial-refusal counts; safe index names', () => {
    expect(refusedCount("total ignored: 2 out of 5 for stream {a}\ntotal ignored: 1 out of 3 for stream {b}")).toBe(3);
    expect(refusedCount('2 of 9 entries refused (invalid_timestamp); the other 7 were stored')).toBe(2);
    expect(refusedCount('bad request')).toBeUndefined();
    expect(indexName('logs-{service}', 'Pay Ments/EU')).toBe('logs-pay_ments_eu');
  });

  it('sinks/formats - the person-facing table shows lag, counts and the last error', () => {
    const t = formatSinkTable([{ name: 'central', type: 'logwire', url: 'ws://c/v1/ingest', state: 'retrying', cursor: null, lag_records: 1200, lag_seconds: 3.5, sent: 10, retried: 4, skipped: { rejected: 2 }, last_error: { message: 'unreachable', at: new Date(Date.now() - 5000).toISOString() }, last_sent_at: null }]);
    expect(t).toMatch(/^SINK\s+TYPE\s+STATE\s+LAG/);
    expect(t).toMatch(/central\s+logwire\s+retrying\s+1200 \(3\.5s\)\s+10\s+4\s+2 rejected\s+5s ago: unreachable/);
  });
});
