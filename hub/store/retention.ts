/**
 * Background retention: `--retention 7d` (delete records whose EVENT time is older than the
 * maximum age) and `--max-disk 10GB` (while the store's in-use pages exceed the cap, delete whole
 * commit groups, oldest RECEIVED first, about the overshoot per round; see enforceDiskCap). Runs
 * once shortly after start, then every `intervalMs`; never two runs at once. Deletion itself is chunked into small
 * transactions (delete.ts) so ingest keeps flowing.
 */
import type { Store } from './types.js';

/** The logger slice retention uses (pino's signature). */
export interface RetentionLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Retention policy; options off when undefined or 0. */
export interface RetentionOptions {
  /** Delete records with event time older than this (ms); off when undefined or 0. */
  maxAgeMs?: number;
  /** Keep the store's in-use bytes (Store.diskBytes) at or below this; off when undefined or 0. */
  maxDiskBytes?: number;
  /** How often to check, ms. */
  intervalMs: number;
  log?: RetentionLog;
  /** Clock, for tests. */
  now?: () => number;
}

/** A running retention loop. */
export interface Retention {
  /** Runs one pass now (waiting for a running one first); resolves with the records deleted. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a running pass. */
  close(): Promise<void>;
}

const MAX_DISK_ROUNDS = 8;
const FIRST_RUN_DELAY_MS = 1000;

/** Starts enforcing `--retention` / `--max-disk` in the background. */
export function startRetention(store: Store, opts: RetentionOptions): Retention {
  const now = opts.now ?? Date.now;
  let running: Promise<number> = Promise.resolve(0);
  let closed = false;

  const pass = async (): Promise<number> => {
    let deleted = 0;
    if (opts.maxAgeMs && opts.maxAgeMs > 0) deleted += await store.deleteBefore(now() - opts.maxAgeMs);
    if (opts.maxDiskBytes && opts.maxDiskBytes > 0) deleted += await enforceDiskCap(store, opts.maxDiskBytes);
    if (deleted > 0) opts.log?.info({ deleted, diskBytes: store.diskBytes() }, 'retention deleted old records');
    return deleted;
  };
  const runOnce = (): Promise<number> => {
    const next = running.catch(() => 0).then(() => (closed ? 0 : pass()));
    running = next.catch((err: unknown) => {
      opts.log?.error({ err }, 'retention pass failed');
      return 0;
    });
    return next;
  };
  const tick = () => void runOnce().catch(() => undefined);
  const first = setTimeout(tick, Math.min(FIRST_RUN_DELAY_MS, opts.intervalMs));
  const timer = setInterval(tick, Math.max(opts.intervalMs, 10));
  first.unref();
  timer.unref();
  return {
    runOnce,
    async close() {
      closed = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Deletes the oldest RECEIVED commit groups, about the overshoot each round, until the store's
 * used pages fit under the cap. Rounds repeat only while a round actually gave space back.
 */
async function enforceDiskCap(store: Store, maxBytes: number): Promise<number> {
  let deleted = 0;
  for (let round = 0; round < MAX_DISK_ROUNDS; round++) {
    await store.indexed(); // measure after log → chunks moves, or indexing looks like growth
    const used = store.diskBytes();
    if (used <= maxBytes || store.stats().total === 0) break;
    const n = await store.deleteOldestReceived(used - maxBytes);
    deleted += n;
    // Space that a deletion did not give back (pages still held) is not a reason to delete more.
    if (n === 0 || store.diskBytes() >= used) break;
  }
  return deleted;
}
