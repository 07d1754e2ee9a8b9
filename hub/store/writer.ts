/**
 * Group commit. Appends from every connection queue here; one LMDB write transaction (`root.batch`)
 * takes everything queued (as one log value, group.ts), and while its commit is in flight new appends accumulate for the next
 * one. With lmdb-js `overlappingSync` a commit resolves before fsync, so each group's appends
 * resolve only after `root.flushed` (the fsync of that commit or a later one) — never earlier.
 * The next group may commit while the previous one is still flushing (pipelined, still in order),
 * and once PIPELINE_MIN_RECORDS are queued a second group is built (on the main thread) while the
 * first is still committing (on lmdb-js's write thread), so encoding overlaps LMDB's work. Appends
 * behind a commit that carries only index or maintenance steps go at once, whatever their number:
 * an ack waits for the log, never for chunks.
 *
 * Exactly-once per (shipper, seq): the shipper's seq is written in the same transaction as its
 * records. A seq at or below the highest stored OR queued/in-flight seq of that shipper stores
 * nothing and resolves `{duplicate: true}` once the group holding the higher seq is durable
 * (or rejects if that group failed, so the shipper retries).
 *
 * Other writers submit `steps`: a prepare function run just before a transaction is opened, whose
 * ops join that transaction. Index steps (indexer.ts) join the next transaction whatever is in
 * flight; maintenance steps (retention) wait until no commit is in flight. All preparation happens before `batch()` so a throw never
 * leaves half a transaction queued.
 */
import type { ValidRecord } from '../protocol/record.js';
import type { AppendResult, BatchOrigin } from './types.js';
import type { BuiltGroup, PendingAppend } from './group.js';
import { buildGroup, prepareAppend } from './group.js';
import type { Segment } from './segment-writer.js';
import type { StreamLimits } from './stream-limits.js';
import type { Op, StoreState } from './state.js';
import { AppendedRecords } from './appended.js';
import { StoreClosedError, storeWriteError } from './store-error.js';
import type { Stream } from './streams.js';
import { StreamTable } from './streams.js';

/** Queued records that justify building a second group while one commit is in flight. */
export const PIPELINE_MIN_RECORDS = 4096;
/** A group takes at most this many records and message chars (whole appends; at least one). */
export const MAX_GROUP_RECORDS = 65_536;
export const MAX_GROUP_CHARS = 32 * 1024 * 1024;
const MAX_COMMITS_IN_FLIGHT = 2;
/** After a refused commit, appends are refused without trying for this long. */
const WRITE_RETRY_MS = 3000;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a failed group is reported through each append's own promise
  return { promise, resolve, reject };
}

/** What a step's prepare returns: ops for this transaction, streams whose counters it changed. */
export interface StepPlan<T> {
  ops: Op[];
  touched?: Iterable<Stream>;
  result: T;
  undo?(): void;
}

interface Step {
  /** Index steps join any transaction; maintenance steps (retention) wait until no commit is in flight. */
  anytime: boolean;
  prepare(): StepPlan<unknown>;
  resolve(v: unknown): void;
  reject(err: unknown): void;
}

/** An append in the queue, with the promise its caller (and its duplicates) wait on. */
interface Queued extends PendingAppend {
  durable: Deferred;
}

/** Group commit, exactly-once per (shipper, seq), and serialized maintenance steps. */
export class GroupWriter {
  private queue: Queued[] = [];
  private steps: Step[] = [];
  /** Highest seq queued or in flight per shipper, with the durability promise of its group. */
  private pendingSeq = new Map<string, { seq: number; durable: Promise<void> }>();
  private commitsInFlight = 0;
  /** Of those, commits that carry appends (the others only index or maintenance steps). */
  private appendCommitsInFlight = 0;
  private queuedRecords = 0;
  private queuedChars = 0;
  /** Streams whose persisted counters must be rewritten (a failed commit touched them). */
  private dirty = new Set<Stream>();
  private scheduled = false;
  private inflight = new Set<Promise<unknown>>();
  closed = false;
  private failedAt = 0;

  /** `onLogged` runs after each commit that appended a group to the log (the indexer's cue). */
  /** `limits`: new streams past them are refused, record by record (stream-limits.ts). */
  constructor(private readonly state: StoreState, private readonly onLogged: () => void = () => undefined, private readonly limits?: StreamLimits) {}

  append(records: ValidRecord[], origin?: BatchOrigin): Promise<AppendResult> {
    // Encoded now (group.ts), so what waits for the commit is one buffer, not objects per record.
    return this.enqueue(() => prepareAppend(this.state.streams, records, this.limits), records.length, origin);
  }

  /** Appends a segment already written (ingest's fast path: ingest/fast-batch.ts). */
  appendSegment(segment: Segment, origin?: BatchOrigin): Promise<AppendResult> {
    return this.enqueue(() => segment, segment.n, origin);
  }

  private enqueue(segment: () => Segment, n: number, origin?: BatchOrigin): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    // Right after a refused commit (disk full) appends fail fast; after WRITE_RETRY_MS one is tried again.
    if (this.state.writeError && Date.now() - this.failedAt < WRITE_RETRY_MS) return Promise.reject(this.state.writeError);
    if (origin) {
      const pending = this.pendingSeq.get(origin.shipper);
      if (pending && origin.seq <= pending.seq) return pending.durable.then(() => ({ duplicate: true }));
      if (origin.seq <= (this.state.shippers.get(origin.shipper) ?? 0)) return Promise.resolve({ duplicate: true });
    } else if (n === 0) {
      return Promise.resolve(AppendedRecords.none);
    }
    const prepared = segment();
    // Nothing left to store and no seq to record (every record refused by a stream limit): no commit.
    if (prepared.n === 0 && !origin) return Promise.resolve(new AppendedRecords(undefined, 0, 0, prepared.refused));
    const durable = deferred();
    const item: Queued = { prepared, origin, durable };
    if (origin) this.pendingSeq.set(origin.shipper, { seq: origin.seq, durable: durable.promise });
    this.queue.push(item);
    this.queuedRecords += prepared.n;
    this.queuedChars += prepared.chars;
    this.schedule();
    return durable.promise.then(() => item.out!);
  }

  /** Runs `prepare` at the start of the next transaction; resolves with its result once committed. */
  step<T>(prepare: () => StepPlan<T>, anytime = false): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise<T>((resolve, reject) => {
      this.steps.push({ anytime, prepare, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far is durable (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.steps.length > 0 || this.inflight.size > 0 || this.commitsInFlight > 0) {
      await Promise.allSettled([...this.inflight]);
      this.flush();
      await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || !this.canFlush()) return;
    this.scheduled = true;
    // setImmediate lets every append of this event turn join the group.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Idle: go. One commit in flight: only for a big enough queue. Steps run only when idle. */
  private canFlush(): boolean {
    // Counters left dirty by a failed commit ride along with the next append or step, so a full
    // disk does not turn into a loop of failing commits.
    if (this.commitsInFlight === 0) return this.queue.length > 0 || this.steps.length > 0 || (this.dirty.size > 0 && !this.state.writeError);
    // Appends need not wait behind a commit that only indexes (acks need the log, not the chunks),
    // unless a maintenance step is waiting for an idle moment: it must not starve.
    const behindStepsOnly = this.queue.length > 0 && this.appendCommitsInFlight === 0 && this.steps.every((st) => st.anytime);
    return this.commitsInFlight < MAX_COMMITS_IN_FLIGHT && (this.queuedRecords >= PIPELINE_MIN_RECORDS || behindStepsOnly);
  }

  private flush(): void {
    if (!this.canFlush()) return;
    const items = this.takeGroup();
    const idle = this.commitsInFlight === 0;
    const steps = idle ? this.steps : this.steps.filter((st) => st.anytime);
    this.steps = idle ? [] : this.steps.filter((st) => !st.anytime);
    const { dbs } = this.state;

    let built: BuiltGroup;
    const plans: Array<{ step: Step; plan?: StepPlan<unknown>; error?: unknown }> = [];
    const touched = new Set<Stream>(this.dirty);
    this.dirty.clear();
    try {
      built = buildGroup(this.state, items);
    } catch (err) {
      this.failAppends(items, err);
      items.length = 0;
      built = { ops: [], touched, lastId: undefined, undo() {} };
    }
    for (const t of built.touched) touched.add(t);
    for (const step of steps) {
      try {
        const plan = step.prepare();
        for (const t of plan.touched ?? []) touched.add(t);
        plans.push({ step, plan });
      } catch (err) {
        plans.push({ step, error: err });
      }
    }
    const ops: Op[] = [...built.ops];
    // A loop, not push(...): a step over many streams can pass the argument-count limit.
    for (const p of plans) if (p.plan) for (const op of p.plan.ops) ops.push(op);
    for (const s of touched) ops.push({ db: dbs.streams, key: s.sid, value: StreamTable.encode(s) });
    if (ops.length === 0) {
      for (const p of plans) (p.error ? p.step.reject(p.error) : p.step.resolve(p.plan!.result));
      this.afterCommit();
      return;
    }

    this.commitsInFlight++;
    const carriesAppends = items.length > 0;
    if (carriesAppends) this.appendCommitsInFlight++;
    const commit = dbs.root.batch(() => {
      for (const op of ops) {
        const w = op.value === undefined ? op.db.remove(op.key) : op.db.put(op.key, op.value);
        // The batch's promise reports failure; a write's own promise must not also go unhandled.
        if (w && typeof (w as Promise<unknown>).then === 'function') (w as Promise<unknown>).then(undefined, () => undefined);
      }
    });
    const done = commit.then(
      () => {
        this.state.writeError = undefined; // the disk takes writes (again)
        for (const p of plans) (p.error ? p.step.reject(p.error) : p.step.resolve(p.plan!.result));
        this.commitsInFlight--;
        if (carriesAppends) this.appendCommitsInFlight--;
        this.afterCommit();
        const committed = () => {
          for (const it of items) if (it.origin) this.state.shippers.set(it.origin.shipper, Math.max(it.origin.seq, this.state.shippers.get(it.origin.shipper) ?? 0));
          this.clearPending(items);
        };
        // Visible to queries from the commit on (log-tail.ts); acked only once flushed.
        if (built.log) {
          this.state.tail.push(built.log);
          this.onLogged();
        }
        return dbs.root.flushed.then(
          () => {
            if (built.lastId !== undefined) this.state.lastId = built.lastId;
            committed();
            for (const it of items) it.durable.resolve();
          },
          (cause: unknown) => {
            // Committed (visible) but the fsync failed: no ack, yet dedupe must remember the seqs,
            // so the shipper's retry is acked as a duplicate instead of being stored twice.
            const err = (this.state.writeError = storeWriteError(cause));
            committed();
            for (const it of items) it.durable.reject(err);
          },
        );
      },
      (cause: unknown) => {
        // Disk full, map full, I/O error: reported as HUB_ERR_STORE_UNAVAILABLE until a commit succeeds.
        const err = (this.state.writeError = storeWriteError(cause));
        this.failedAt = Date.now();
        built.undo();
        for (const p of plans) {
          p.plan?.undo?.();
          p.step.reject(p.error ?? err);
        }
        // A pipelined successor may have persisted counters that included this group: rewrite them.
        for (const s of touched) this.dirty.add(s);
        this.failAppends(items, err);
        this.commitsInFlight--;
        if (carriesAppends) this.appendCommitsInFlight--;
        this.afterCommit();
      },
    ).catch((err: unknown) => {
      this.failAppends(items, err); // a bug in the handlers above; never leave an append hanging
    });
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
    this.schedule(); // what takeGroup left behind may already justify a pipelined group
  }

  private afterCommit(): void {
    if (this.canFlush()) this.flush();
  }

  /** Whole appends from the queue head, within MAX_GROUP_RECORDS / MAX_GROUP_CHARS (at least one). */
  private takeGroup(): Queued[] {
    if (this.queuedRecords <= MAX_GROUP_RECORDS && this.queuedChars <= MAX_GROUP_CHARS) {
      const all = this.queue;
      this.queue = [];
      this.queuedRecords = 0;
      this.queuedChars = 0;
      return all;
    }
    let n = 0;
    let chars = 0;
    let k = 0;
    for (; k < this.queue.length; k++) {
      const q = this.queue[k];
      if (k > 0 && (n + q.prepared.n > MAX_GROUP_RECORDS || chars + q.prepared.chars > MAX_GROUP_CHARS)) break;
      n += q.prepared.n;
      chars += q.prepared.chars;
    }
    this.queuedRecords -= n;
    this.queuedChars -= chars;
    return this.queue.splice(0, k);
  }

  private failAppends(items: Queued[], err: unknown): void {
    this.clearPending(items);
    for (const it of items) it.durable.reject(err);
  }

  /** Forgets in-flight seqs that belonged to these appends (later appends keep theirs). */
  private clearPending(items: Queued[]): void {
    for (const it of items) {
      if (!it.origin) continue;
      const p = this.pendingSeq.get(it.origin.shipper);
      if (p && p.durable === it.durable.promise) this.pendingSeq.delete(it.origin.shipper);
    }
  }
}
