import { describe, expect, it } from 'vitest';
import { epochToMs, parseDurationMs, parseTime, toIso } from '../../../hub/protocol/time.js';

const NOW = Date.parse('2025-04-01T12:00:00Z');

describe('time', () => {
  it('time - ISO without a zone is UTC', () => {
    expect(parseTime('2025-04-01T12:00:00', NOW)).toBe(Date.parse('2025-04-01T12:00:00Z'));
    expect(parseTime('2025-04-01 12:00:00', NOW)).toBe(Date.parse('2025-04-01T12:00:00Z'));
    expect(parseTime('2025-04-01', NOW)).toBe(Date.parse('2025-04-01T00:00:00Z'));
  });

  it('time - zones, fractions and epoch numbers', () => {
    expect(parseTime('2025-04-01T14:00:00+02:00', NOW)).toBe(NOW);
    expect(parseTime('2025-04-01T12:00:00.123456Z', NOW)).toBe(NOW + 123);
    expect(parseTime('1743508800000', NOW)).toBe(NOW);
    expect(parseTime('1743508800', NOW)).toBe(NOW);
    expect(parseTime(1743508800, NOW)).toBe(NOW);
  });

  it('time - epoch numbers are read by magnitude: s, ms, µs, ns', () => {
    expect(epochToMs(1_743_508_800)).toBe(NOW);
    expect(epochToMs(1_743_508_800_000)).toBe(NOW);
    expect(epochToMs(1_743_508_800_000_000)).toBe(NOW);
    expect(epochToMs(1_743_508_800_000_000_000)).toBe(NOW);
    expect(parseTime('1743508800000000000', NOW)).toBe(NOW);
    expect(epochToMs(-1)).toBeUndefined();
    expect(epochToMs(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('time - relative durations count back from now', () => {
    expect(parseTime('15m', NOW)).toBe(NOW - 15 * 60_000);
    expect(parseTime('2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseTime('7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseDurationMs('30s')).toBe(30_000);
  });

  it('time - garbage is undefined so callers can name the parameter', () => {
    for (const bad of ['', 'yesterday', '2025-13-45T99:00:00', '15x', 'NaN', '12:00']) expect(parseTime(bad, NOW), bad).toBeUndefined();
  });

  it('time - ISO output is UTC with milliseconds', () => {
    expect(toIso(NOW + 5)).toBe('2025-04-01T12:00:00.005Z');
  });
});
