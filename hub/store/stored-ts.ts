/**
 * Event times as stored. Hubs before the time window (docs/time.md) stored µs and ns epochs as if
 * they were ms, as zigzag deltas of 9 bytes and more. Every valid ms time is below 1e14, so a
 * larger value is such a legacy time: it is read back by magnitude, and chunk metas that hold one
 * get bounds covering the corrected times. Readers accumulate raw values and correct each one.
 */
import { epochToMs } from '../protocol/time.js';
import { unzigzag } from './varint.js';

export const LEGACY_TS_FROM = 1e14;

/** The time a stored raw value stands for, epoch ms. */
export function storedTs(raw: number): number {
  return raw < LEGACY_TS_FROM ? raw : (epochToMs(raw) ?? raw);
}

/**
 * The raw value after `prev` given the zigzag delta `z`. At 2^53 and above (legacy values only)
 * the float lost the zigzag's sign bit: take the sign that lands nearer `prev`.
 */
export function nextRawTs(prev: number, z: number): number {
  if (z < 2 ** 53) return prev + unzigzag(z);
  const up = prev + z / 2;
  const down = prev - z / 2;
  if (down < 0) return up;
  const p = storedTs(prev);
  return Math.abs(storedTs(up) - p) <= Math.abs(storedTs(down) - p) ? up : down;
}

/** Time bounds of a chunk meta, widened when they hold legacy values (see storedTs). */
export function storedBounds(minTs: number, maxTs: number): [number, number] {
  return maxTs >= LEGACY_TS_FROM ? [Math.min(minTs, 1e11), LEGACY_TS_FROM] : [minTs, maxTs];
}
