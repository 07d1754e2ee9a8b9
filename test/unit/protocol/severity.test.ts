import { describe, expect, it } from 'vitest';
import { lookupSeverity, normalizeSeverity, parseSeverityTerm, severitiesAtLeast } from '../../../hub/protocol/severity.js';

describe('severity', () => {
  it('severity - canonical names and aliases, any case', () => {
    const cases: Array<[unknown, string]> = [
      ['info', 'INFO'], ['Warning', 'WARN'], ['warn', 'WARN'], ['ERR', 'ERROR'], ['error', 'ERROR'],
      ['critical', 'FATAL'], ['CRIT', 'FATAL'], ['emerg', 'FATAL'], ['alert', 'FATAL'], ['panic', 'FATAL'],
      ['notice', 'INFO'], ['trace', 'TRACE'], ['debug', 'DEBUG'], ['fatal', 'FATAL'],
    ];
    for (const [input, want] of cases) expect(lookupSeverity(input), String(input)).toBe(want);
  });

  it('severity - pino/bunyan and syslog numbers, as numbers or strings', () => {
    expect([10, 20, 30, 40, 50, 60].map((n) => lookupSeverity(n))).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => lookupSeverity(n))).toEqual(['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG']);
    expect(lookupSeverity('50')).toBe('ERROR');
    expect(lookupSeverity(35)).toBeUndefined();
  });

  it('severity - unknown becomes INFO and keeps the original', () => {
    expect(normalizeSeverity('LOUD')).toEqual({ severity: 'INFO', original: 'LOUD' });
    expect(normalizeSeverity(undefined)).toEqual({ severity: 'INFO' });
  });

  it('severity - filter terms: X+, trailing space as +, and non-levels', () => {
    expect(parseSeverityTerm('WARN+')).toEqual(['WARN', 'ERROR', 'FATAL']);
    expect(parseSeverityTerm('warn ')).toEqual(['WARN', 'ERROR', 'FATAL']);
    expect(parseSeverityTerm('warning')).toEqual(['WARN']);
    expect(parseSeverityTerm('LOUD')).toBeUndefined();
    expect(parseSeverityTerm('+')).toBeUndefined();
    expect(severitiesAtLeast('TRACE')).toHaveLength(6);
  });
});
