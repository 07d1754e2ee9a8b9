/**
 * The indexer: turns the log (log.ts) into chunks, off the event loop, and may lag behind ingest.
 *
 * Each committed log group (state.tail) is read back from LMDB and sent to a worker thread
 * (indexer-worker.ts), which builds its chunks and bitmaps; the results come back in order and are
 * committed through the writer as ONE step holding every ready group: chunks, the `indexed` cursor
 * and the removal of the log values (index-build.ts `indexOps`). Only one such step is in flight,
 * so the cursor never passes a group whose step failed. After kill -9 the store reopens with the
 * log values above the cursor as its tail and the indexer starts again from there: nothing acked
 * is lost (it is in the log), nothing is indexed twice (cursor and chunks share a transaction).
 */
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IndexedGroup } from './index-build.js';
import { indexOps } from './index-build.js';
import { logKey } from './log.js';
import type { Op, StoreState } from './state.js';
import type { Stream } from './streams.js';
import type { GroupWriter } from './writer.js';

/** Groups handed to the worker ahead of the one being committed. */
const MAX_IN_WORKER = 3;
/** Pause before retrying after a failed index commit or worker error (e.g. the disk is full). */
const RETRY_MS = 500;

/** The compiled worker next to this module; from TypeScript sources (tests), the build in dist/. */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'indexer-worker.js');
  return join(dirname(here), '..', '..', 'dist', 'hub', 'store', 'indexer-worker.js');
}

type WorkerReply = { ok: true; group: IndexedGroup } | { ok: false; first: number; message: string };

export interface IndexerEvents {
  /** A group failed to build or commit; it is retried. */
  onError?(err: unknown): void;
}

/** Drives the worker and commits its output. */
export class Indexer {
  private worker?: Worker;
  /** Tail groups (from the head of state.tail) sent to the worker or built. */
  private taken = 0;
  private ready: IndexedGroup[] = [];
  /** Groups in the index step now in flight (taken out of `ready`). */
  private committing: IndexedGroup[] = [];
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private paused = false;
  /** caughtUp() callers, each waiting for the cursor to pass the log as it was when they asked. */
  private waiters: Array<{ target: number; resolve: () => void }> = [];

  constructor(private readonly state: StoreState, private readonly writer: GroupWriter, private readonly events: IndexerEvents = {}) {}

  /** Called after each log commit and after each index commit: feeds the worker, commits results. */
  kick(): void {
    if (this.closed || this.paused || this.retryTimer) return;
    const tail = this.state.tail;
    while (this.taken - this.ready.length - this.committing.length < MAX_IN_WORKER && this.taken < tail.length) {
      const g = tail[this.taken];
      // Just committed: its value is still at hand (no read back from LMDB). After a restart: from the log.
      const value = g.value ?? this.readLog(g.first);
      if (!value) break; // not visible to this read txn yet; the next kick retries
      g.value = undefined;
      this.taken++;
      this.ensureWorker().postMessage({ first: g.first, value });
    }
    this.commitReady();
    const pending = this.waiters;
    this.waiters = [];
    for (const w of pending) {
      if (tail.length === 0 || this.state.indexed >= w.target) w.resolve();
      else this.waiters.push(w);
    }
  }

  /** Stops indexing for good (StoreOptions.index false): records stay in the log. */
  pause(): void {
    this.paused = true;
  }

  /** Resolves once every group logged so far is indexed (later groups need not be, so ingest cannot starve it). */
  caughtUp(): Promise<void> {
    const tail = this.state.tail;
    if (tail.length === 0) return Promise.resolve();
    const last = tail[tail.length - 1];
    return new Promise((resolve) => {
      this.waiters.push({ target: last.first + last.n, resolve });
      this.kick();
    });
  }

  /** Stops the worker; the log keeps what is not indexed for the next open. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const w of this.waiters.splice(0)) w.resolve();
    await this.worker?.terminate();
  }

  private readLog(first: number): Buffer | undefined {
    const key = logKey(first);
    let v = this.state.dbs.log.getBinary(key);
    if (!v) {
      this.state.dbs.root.resetReadTxn();
      v = this.state.dbs.log.getBinary(key);
    }
    return v;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerPath());
    w.on('message', (m: WorkerReply) => this.onReply(m));
    w.on('error', (err) => this.restart(err));
    w.unref();
    this.worker = w;
    return w;
  }

  private onReply(m: WorkerReply): void {
    if (!m.ok) return this.restart(new Error(`indexing log group ${m.first} failed: ${m.message}`));
    this.ready.push(m.group);
    this.commitReady();
  }

  /** One step at a time, with every built group: the cursor only moves over committed groups. */
  private commitReady(): void {
    if (this.committing.length > 0 || this.ready.length === 0 || this.closed) return;
    const groups = this.ready.splice(0);
    this.committing = groups;
    this.writer
      .step(() => {
        const ops: Op[] = [];
        const touched: Stream[] = [];
        const undos: Array<() => void> = [];
        for (const g of groups) {
          const p = indexOps(this.state, g);
          // Loops, not push(...): a group of many streams has more ops than a call's argument limit.
          for (const op of p.ops) ops.push(op);
          for (const t of p.touched) touched.push(t);
          undos.push(p.undo);
        }
        return { ops, touched, result: undefined, undo: () => undos.forEach((u) => u()) };
      }, true)
      .then(
        () => {
          this.committing = [];
          this.taken -= groups.length;
          this.state.tail.splice(0, groups.length);
          const last = groups[groups.length - 1];
          this.state.indexed = last.first + last.n;
          this.kick();
        },
        (err: unknown) => {
          this.committing = [];
          this.ready = groups.concat(this.ready);
          this.events.onError?.(err);
          this.retryLater();
        },
      );
  }

  private restart(err: unknown): void {
    this.events.onError?.(err);
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
    // Built results stay; what was in the worker is sent again.
    this.taken = this.ready.length + this.committing.length;
    this.retryLater();
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, RETRY_MS);
    this.retryTimer.unref();
  }
}
