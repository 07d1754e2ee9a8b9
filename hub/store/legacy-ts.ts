/**
 * Legacy event times, shared by the chunk and log readers (chunk.ts, log.ts): older hubs stored
 * µs and ns epochs as if they were ms (docs/time.md). Raw values are kept as written so a log
 * value re-encoded into a chunk keeps them; `storedTs` reads a raw value back by magnitude.
 */
import { epochToMs } from '../protocol/time.js';
import { unzigzag } from './varint.js';

/**
 * Event times as stored. Hubs before the time window (docs/time.md) stored µs and ns epochs as if
 * they were ms; every valid ms time is below 1e14, so a larger value is such a legacy time, read
 * back by magnitude. Chunk metas of those chunks get bounds that cover the corrected times.
 */
export const LEGACY_TS_FROM = 1e14;

export function storedTs(ts: number): number {
  return ts < LEGACY_TS_FROM ? ts : (epochToMs(ts) ?? ts);
}

/**
 * The next raw time after `prev`, given a zigzag delta of 2^53 or more: only legacy chunks hold
 * one, and there the float lost the zigzag's sign bit. Take the sign that lands nearer `prev`.
 */
function legacyStep(prev: number, z: number): number {
  const up = prev + z / 2;
  const down = prev - z / 2;
  if (down < 0) return up;
  const p = storedTs(prev);
  return Math.abs(storedTs(up) - p) <= Math.abs(storedTs(down) - p) ? up : down;
}

/** The next raw time after `prev` from a zigzag delta `z` as read (exact below 2^53). */
export function nextStoredTs(prev: number, z: number): number {
  return z < 2 ** 53 ? prev + unzigzag(z) : legacyStep(prev, z);
}
