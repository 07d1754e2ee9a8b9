import { describe, expect, it } from 'vitest';
import { ES_SERVICE_KEYS, LOKI_SERVICE_KEYS, applyPostAliases, mapRecord } from '../../../hub/receivers/mapping.js';

describe('receivers/mapping', () => {
  it('receivers/mapping - the first key present wins, in the documented order', () => {
    const r = mapRecord({ doc: { job: 'j', app: 'a', lvl: 'debug', severity: 'error', node: 'n1', instance: 'i1', path: '/p', file: '/f' }, serviceKeys: LOKI_SERVICE_KEYS, message: 'm', timeFromDoc: false });
    expect(r).toEqual({ service: 'a', severity: 'error', host: 'i1', file: '/f', message: 'm', fields: { job: 'j', lvl: 'debug', node: 'n1', path: '/p' } });
  });

  it('receivers/mapping - dotted keys match flat keys and nested objects; what is left stays nested', () => {
    const flat = mapRecord({ doc: { 'service.name': 's', 'log.level': 'warn', message: 'x' }, serviceKeys: ES_SERVICE_KEYS });
    expect(flat).toMatchObject({ service: 's', severity: 'warn', message: 'x' });
    expect(flat.fields).toBeUndefined();
    const nested = mapRecord({ doc: { service: { name: 's2', version: '1' }, host: { name: 'h', ip: '10.0.0.1' }, log: { file: { path: '/a' } }, message: 'x' }, serviceKeys: ES_SERVICE_KEYS });
    expect(nested).toEqual({ service: 's2', host: 'h', file: '/a', message: 'x', fields: { service: { version: '1' }, host: { ip: '10.0.0.1' } } });
  });

  it('receivers/mapping - a time key beats the protocol time; an unreadable one is passed on to be rejected', () => {
    expect(mapRecord({ doc: { message: 'x', time: 1767225600.5 }, serviceKeys: [], ts: 5 }).ts).toBe(1767225600500);
    expect(mapRecord({ doc: { message: 'x', ts: '1767225600123456789' }, serviceKeys: [] }).ts).toBe(1767225600123);
    expect(mapRecord({ doc: { message: 'x', '@timestamp': 'yesterday-ish' }, serviceKeys: [] }).ts).toBe('yesterday-ish');
    expect(mapRecord({ doc: { message: 'x' }, serviceKeys: [], ts: 1767225600123 }).ts).toBe(1767225600123);
  });

  it('receivers/mapping - names are data: __proto__ and constructor keys stay ordinary fields', () => {
    const doc = JSON.parse('{"message":"x","__proto__":{"polluted":1},"constructor":"c"}');
    const r = mapRecord({ doc, serviceKeys: [] });
    expect(Object.keys(r.fields!)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('receivers/mapping - POST /logs aliases: log and date only when the record has no own key', () => {
    expect(applyPostAliases({ log: 'l', date: 1767225600.25 })).toEqual({ message: 'l', ts: 1767225600.25 });
    expect(applyPostAliases({ log: 'l', message: 'm', date: 'd', time: 't' })).toEqual({ log: 'l', message: 'm', date: 'd', time: 't' });
    expect(applyPostAliases([1])).toEqual([1]);
  });
});
