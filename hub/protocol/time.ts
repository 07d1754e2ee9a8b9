/**
 * Time parsing shared by ingest, queries and the CLIs. Times without a zone are UTC (docs/guarantees.md).
 * Accepted: ISO 8601 / RFC 3339 (`T` or space separator, optional fraction and zone), a bare
 * date, epoch numbers as digits (s, ms, µs or ns by magnitude), and relative durations (`30s`, `15m`, `2h`,
 * `7d`, `1w`) meaning "that long before now".
 */

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_NO_ZONE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses a duration such as `15m` into milliseconds; undefined when it is not one. */
export function parseDurationMs(input: string): number | undefined {
  const m = DURATION.exec(input.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2].toLowerCase()]);
}

/**
 * Epoch numbers are read by magnitude (docs/time.md): below 1e11 seconds, below 1e14
 * milliseconds, below 1e17 microseconds, else nanoseconds (zerolog, zap, OTLP). Each band covers
 * 1973–5138 in its unit, so any real clock reading lands in exactly one.
 */
const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const MICROS_BELOW = 1e17;

/** Normalises an epoch number in s, ms, µs or ns (by magnitude) to ms; undefined when not finite or negative. */
export function epochToMs(n: number): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n < SECONDS_BELOW) return Math.round(n * 1000);
  if (n < MILLIS_BELOW) return Math.round(n);
  if (n < MICROS_BELOW) return Math.round(n / 1000);
  return Math.round(n / 1e6);
}

/** How far ahead of the hub's clock an event time may be (clock skew, time zones gone wrong). */
export const MAX_FUTURE_MS = 24 * 3_600_000;

/** True when an event time (epoch ms) may be stored: not before 1970, at most 24 h ahead of `nowMs`. */
export function inTimeWindow(ms: number, nowMs: number): boolean {
  return ms >= 0 && ms <= nowMs + MAX_FUTURE_MS;
}

/**
 * Parses an absolute or relative time to epoch ms. Returns undefined when unparseable, so the
 * caller can name the parameter in its error.
 */
export function parseTime(input: string | number, nowMs = Date.now()): number | undefined {
  if (typeof input === 'number') return epochToMs(input);
  const s = input.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s) && s.length >= 9) return epochToMs(Number(s));
  const rel = parseDurationMs(s);
  if (rel !== undefined) return nowMs - rel;
  if (s.toLowerCase() === 'now') return nowMs;
  let iso: string;
  if (ISO_WITH_ZONE.test(s)) iso = s.replace(' ', 'T');
  else if (ISO_NO_ZONE.test(s)) iso = s.length === 10 ? `${s}T00:00:00Z` : `${s.replace(' ', 'T')}Z`;
  else return undefined;
  // Fractions beyond ms are valid ISO but Date.parse handles at most 3 digits reliably.
  iso = iso.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The range of a JS Date, epoch ms. */
const MAX_DATE_MS = 8.64e15;

/**
 * Epoch ms → ISO 8601 UTC with milliseconds. Never throws: a time outside what a Date can hold
 * (only stores written before the time window existed hold one) is clamped to that range.
 */
export function toIso(ms: number): string {
  const t = Number.isFinite(ms) ? Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, ms)) : ms > 0 ? MAX_DATE_MS : -MAX_DATE_MS;
  return new Date(t).toISOString();
}
