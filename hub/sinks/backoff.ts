/**
 * Retry timing for sinks: exponential backoff with jitter, and the receiver's `Retry-After`
 * (seconds or an HTTP date) honoured when it asks for longer than the backoff would wait.
 */

/** Delay before retry `attempt` (0-based): base·2^attempt capped at max, jittered into [50%, 100%]. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, rand = Math.random): number {
  const ceil = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceil / 2 + (rand() * ceil) / 2);
}

/** A `Retry-After` header in ms (undefined when absent or unreadable); capped at one hour. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  let ms: number;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(0, Math.round(ms)), 3_600_000);
}

/** The wait before the next attempt: the backoff, or longer when the receiver asked for it. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, retryAfterMs?: number): number {
  const b = backoffMs(attempt, baseMs, maxMs);
  return retryAfterMs !== undefined ? Math.max(b, retryAfterMs) : b;
}
