/**
 * One sink's queue (docs/forwarding.md). The store is the buffer: the sink reads stored records
 * after its durable cursor, batches them, hands them to its sender, and moves the cursor only once
 * the receiver has accepted (or refused for good) every record of the batch. Until then it retries
 * the rest forever, with backoff and jitter, honouring Retry-After.
 *
 * Each sink runs its own loop and owns nothing shared: a dead, slow or refusing receiver only
 * delays its own cursor. The loop sleeps until the hub stores something (`notify`) or a slow
 * backstop timer fires; it never polls busily.
 */
import type { Logger } from '../log.js';
import type { WireRecord } from '../protocol/frames.js';
import type { Store } from '../store/types.js';
import { retryDelayMs } from './backoff.js';
import type { SinkConfig } from './config.js';
import { approxBytes, cursorLseq, idLseq, readAfter, type ReadResult } from './reader.js';
import type { SinkSender } from './types.js';

/** Wake up this often even without a notify (a backstop, and to refresh lag figures). */
const BACKSTOP_MS = 1000;
/** A cursor moved over records that were not sent (filtered out) is saved at most this often. */
const IDLE_SAVE_MS = 1000;
/** Records examined per read at most, matching or not (keeps one read a few ms long). */
const MAX_EXAMINED = 20_000;

/** A read takes up to this many batches' worth of records (see the loop). */
const READ_AHEAD_BATCHES = 4;

/**
 * Cuts `hand` down to its first batch (by records and approximate bytes) and returns the rest
 * (undefined when it all fits). The first part then ends at its last record.
 */
function splitBatch(hand: ReadResult, maxRecords: number, maxBytes: number): ReadResult | undefined {
  let bytes = 0;
  let n = 0;
  while (n < hand.records.length && n < maxRecords && (n === 0 || bytes + approxBytes(hand.records[n]) <= maxBytes)) bytes += approxBytes(hand.records[n++]);
  if (n >= hand.records.length) return undefined;
  const rest: ReadResult = { records: hand.records.slice(n), bytes: Math.max(0, hand.bytes - bytes), lastId: hand.lastId, lastLseq: hand.lastLseq, gaps: 0, more: hand.more };
  hand.records = hand.records.slice(0, n);
  hand.bytes = bytes;
  hand.lastId = hand.records[n - 1].id;
  hand.lastLseq = idLseq(hand.lastId);
  hand.more = true;
  return rest;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** What /stats shows for a sink. */
export interface SinkStatus {
  name: string;
  type: string;
  url: string;
  state: 'idle' | 'sending' | 'retrying' | 'stopped';
  cursor: string | null;
  lag_records: number;
  lag_seconds: number;
  sent: number;
  retried: number;
  skipped: Record<string, number>;
  last_error: { message: string; at: string } | null;
  last_sent_at: string | null;
}

export interface SinkEvents {
  sent(n: number): void;
  retried(): void;
  skipped(reason: string, n: number): void;
}

export interface SinkRunner {
  readonly name: string;
  notify(): void;
  status(): SinkStatus;
  close(): Promise<void>;
}

/** The URL without user:password (never shown). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

/** The oldest stored record after `cursor` (what the sink will send next). */
function firstAfter(store: Store, cursor: string | undefined): WireRecord | undefined {
  for (const r of store.query({}, { order: 'asc', after: cursor, limit: 1 })) return r;
  return undefined;
}

export function startSink(cfg: SinkConfig, store: Store, sender: SinkSender, log: Logger, ev: SinkEvents): SinkRunner {
  let cursor = store.sinkCursor(cfg.name);
  const hadCursor = cursor !== undefined;
  if (cursor === undefined && cfg.startAt === 'newest') cursor = store.lastId();
  let savedCursor = hadCursor ? cursor : undefined;
  let lastSave = 0;
  let closed = false;
  let dirty = true;
  let wakeResolve: (() => void) | undefined;
  let state: SinkStatus['state'] = 'idle';
  let inHandOldestRts: number | undefined;
  const counts = { sent: 0, retried: 0, skipped: {} as Record<string, number> };
  let lastError: SinkStatus['last_error'] = null;
  let lastSentAt: number | undefined;

  const wake = (): void => {
    dirty = true;
    const r = wakeResolve;
    wakeResolve = undefined;
    r?.();
  };
  /** Sleeps up to `ms`; a notify ends it early unless `onNotify` is false (retry backoff); close always does. */
  const sleep = (ms: number, onNotify = true): Promise<void> => {
    if (closed || (onNotify && dirty)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        if (wakeResolve === done) wakeResolve = undefined;
        if (closeResolve === done) closeResolve = undefined;
        resolve();
      };
      if (onNotify) wakeResolve = done;
      closeResolve = done;
    });
  };
  let closeResolve: (() => void) | undefined;

  const skip = (reason: string, n: number): void => {
    if (n <= 0) return;
    counts.skipped[reason] = (counts.skipped[reason] ?? 0) + n;
    ev.skipped(reason, n);
  };

  const saveCursor = async (force: boolean): Promise<void> => {
    if (cursor === undefined || cursor === savedCursor) return;
    if (!force && Date.now() - lastSave < IDLE_SAVE_MS) return;
    const id = cursor;
    lastSave = Date.now();
    try {
      await store.saveSinkCursor(cfg.name, id);
      savedCursor = id;
    } catch (err) {
      // The records stay after the saved cursor: at worst they are sent again after a restart.
      log.warn({ err, sink: cfg.name }, 'could not save the sink cursor; will try again');
    }
  };

  /** Delivers one batch, retrying what is not accepted until it is (or the hub stops). */
  const deliver = async (batch: ReadResult): Promise<boolean> => {
    let todo: WireRecord[] = batch.records;
    const sinkBatch = { records: batch.records, endLseq: batch.lastLseq };
    let attempt = 0;
    state = 'sending';
    while (todo.length > 0) {
      if (closed) return false;
      const o = await sender.send(todo, sinkBatch);
      let refused = 0;
      for (const [reason, n] of Object.entries(o.skipped ?? {})) {
        skip(reason, n);
        refused += n;
      }
      const accepted = todo.length - o.retry.length - refused;
      if (accepted > 0) {
        counts.sent += accepted;
        ev.sent(accepted);
        lastSentAt = Date.now();
      }
      if (o.error) {
        lastError = { message: o.error, at: new Date().toISOString() };
        if (o.retry.length === 0) log.warn({ sink: cfg.name }, o.error);
      }
      if (o.retry.length === 0) break;
      if (closed) return false;
      counts.retried++;
      ev.retried();
      state = 'retrying';
      const delay = retryDelayMs(attempt++, cfg.retryInitialMs, cfg.retryMaxMs, o.retryAfterMs);
      if (attempt === 1 || attempt % 20 === 0) log.warn({ sink: cfg.name, attempt, delayMs: delay }, `sink ${cfg.name}: ${o.error ?? 'retrying'}; retrying`);
      await sleep(delay, false);
      todo = o.retry;
    }
    state = 'idle';
    return true;
  };

  const loop = async (): Promise<void> => {
    let hand: ReadResult | undefined;
    let readCursor = cursor;
    let countGap = hadCursor;
    while (!closed) {
      dirty = false;
      // Read ahead several batches per query: each query restarts a store walk that costs about
      // as much as reading one page, so small pages multiply the read cost.
      const cap = { records: cfg.batchRecords * READ_AHEAD_BATCHES, bytes: cfg.batchBytes * READ_AHEAD_BATCHES };
      const room = hand ? { records: cap.records - hand.records.length, bytes: cap.bytes - hand.bytes } : cap;
      const r = readAfter(store, cfg.filter, readCursor, { maxRecords: room.records, maxBytes: room.bytes, maxExamined: MAX_EXAMINED }, countGap);
      if (r.lastId !== undefined) {
        countGap = true;
        readCursor = r.lastId;
        skip('deleted_unsent', r.gaps);
        if (!hand) hand = r;
        else {
          for (const x of r.records) hand.records.push(x);
          hand.bytes += r.bytes;
          hand.lastId = r.lastId;
          hand.lastLseq = r.lastLseq;
          hand.more = r.more;
        }
      }
      if (!hand) {
        inHandOldestRts = undefined;
        await saveCursor(false);
        await sleep(BACKSTOP_MS);
        continue;
      }
      inHandOldestRts = hand.records[0]?.rts;
      const full = hand.more || hand.records.length >= cfg.batchRecords || hand.bytes >= cfg.batchBytes;
      if (hand.records.length === 0) {
        cursor = hand.lastId;
        hand = undefined;
        await (full ? turn() : sleep(BACKSTOP_MS));
        continue;
      }
      const age = Date.now() - hand.records[0].rts;
      if (!full && age < cfg.batchWaitMs) {
        await sleep(cfg.batchWaitMs - age);
        continue;
      }
      // Full batches from the front; the last one also covers the unmatched records after it.
      const left = splitBatch(hand, cfg.batchRecords, cfg.batchBytes);
      if (!(await deliver(hand))) return;
      cursor = hand.lastId;
      hand = left;
      inHandOldestRts = hand?.records[0]?.rts;
      await saveCursor(true);
    }
  };

  const running = loop().catch((err: unknown) => {
    state = 'stopped';
    lastError = { message: `the sink stopped on an internal error: ${(err as Error)?.message ?? err}`, at: new Date().toISOString() };
    log.error({ err, sink: cfg.name }, 'sink stopped on an internal error; records stay in the store; restart the hub to resume');
  });

  return {
    name: cfg.name,
    notify: wake,
    status() {
      const newest = store.lastId();
      const newestLseq = cursorLseq(newest);
      const lagRecords = Math.max(0, newestLseq - cursorLseq(cursor));
      let lagSeconds = 0;
      if (lagRecords > 0) {
        const oldest = inHandOldestRts ?? firstAfter(store, cursor)?.rts;
        if (oldest) lagSeconds = Math.max(0, (Date.now() - oldest) / 1000);
      }
      return {
        name: cfg.name,
        type: cfg.type,
        url: safeUrl(cfg.url),
        state,
        cursor: cursor ?? null,
        lag_records: lagRecords,
        lag_seconds: Math.round(lagSeconds * 1000) / 1000,
        sent: counts.sent,
        retried: counts.retried,
        skipped: { ...counts.skipped },
        last_error: lastError,
        last_sent_at: lastSentAt ? new Date(lastSentAt).toISOString() : null,
      };
    },
    async close() {
      closed = true;
      wake();
      closeResolve?.();
      await sender.close();
      await running;
      state = 'stopped';
      await saveCursor(true);
    },
  };
}
