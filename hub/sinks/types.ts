/**
 * What every sink type implements: deliver one batch, and say what happened to each record.
 * A sender never throws for a receiver's fault; it reports records still to retry, records the
 * receiver refused for good (skipped, by reason), and the receiver's requested wait.
 */
import type { WireRecord } from '../protocol/frames.js';

/** A batch read from the store: matching records, and the last local lseq it covers (matched or not). */
export interface SinkBatch {
  records: WireRecord[];
  /** The lseq of the last record examined (the batch covers everything after the cursor up to it). */
  endLseq: number;
}

export interface SendOutcome {
  /** Records not yet accepted: send again after a backoff (empty = the batch is done). */
  retry: WireRecord[];
  /** Records the receiver refused for good, by reason (counted, then skipped). */
  skipped?: Record<string, number>;
  /** Why records are being retried, for /stats `last_error` (undefined when nothing failed). */
  error?: string;
  /** The receiver asked to wait this long (Retry-After). */
  retryAfterMs?: number;
}

export interface SinkSender {
  /** Sends `records` (all or a not-yet-accepted remainder of `batch`). */
  send(records: WireRecord[], batch: SinkBatch): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** The usual verdict for a whole-request HTTP answer. */
export function httpVerdict(status: number, records: WireRecord[], what: string, retryAfterMs?: number, detail = ''): SendOutcome {
  if (status >= 200 && status < 300) return { retry: [] };
  const suffix = detail ? `: ${detail}` : '';
  if (status === 0) return { retry: records, error: `${what} unreachable${suffix}` };
  // 429 and 5xx are the receiver's trouble; 401/403/404/408 a setup or transient fault someone
  // can fix: retrying keeps the records, skipping would lose them.
  if (status === 429 || status >= 500 || status === 401 || status === 403 || status === 404 || status === 408) {
    return { retry: records, error: `${what} answered HTTP ${status}${suffix}`, retryAfterMs };
  }
  return { retry: [], skipped: { rejected: records.length }, error: `${what} refused ${records.length} record(s) with HTTP ${status}${suffix}` };
}
