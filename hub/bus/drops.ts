/**
 * What the bus refused, counted and logged without flooding: a hostile or misconfigured peer can
 * send thousands of bad messages a second, so each reason is logged the first time and then at
 * most once per `intervalMs`, with how many were suppressed in between. Counts go to the hub's
 * metrics (`logwire_bus_dropped_messages_total`, `logwire_bus_dropped_records_total`).
 */
import type { Logger } from '../log.js';

/** Where drop counts go (the hub's Prometheus counters); both optional. */
export interface BusDropCounters {
  /** A whole NATS message ignored: unsigned, bad_signature, stale, replayed, malformed, handler_error, ... */
  message?: (reason: string, count: number) => void;
  /** One record of a message or answer ignored (peer-input.ts reasons). */
  record?: (reason: string, count: number) => void;
}

export interface DropReporter {
  message(reason: string, subject: string): void;
  record(reason: string, subject: string): void;
}

const DEFAULT_LOG_INTERVAL_MS = 10_000;

export function createDropReporter(log: Logger | undefined, counters: BusDropCounters = {}, intervalMs = DEFAULT_LOG_INTERVAL_MS): DropReporter {
  const last = new Map<string, { atMs: number; suppressed: number }>();
  const note = (what: 'message' | 'record', reason: string, subject: string): void => {
    try {
      counters[what]?.(reason, 1);
    } catch {
      // a metrics fault must not turn into a bus fault
    }
    const key = `${what}:${reason}`;
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.atMs < intervalMs) {
      seen.suppressed++;
      return;
    }
    if (last.size > 1000) last.clear();
    last.set(key, { atMs: now, suppressed: 0 });
    log?.warn({ subject, reason, suppressed: seen?.suppressed ?? 0 }, what === 'message' ? 'ignored a message from NATS' : 'ignored a record from NATS');
  };
  return {
    message: (reason, subject) => note('message', reason, subject),
    record: (reason, subject) => note('record', reason, subject),
  };
}
