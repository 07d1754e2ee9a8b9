/**
 * Acks → checkpoint → spool cleanup, in that order (what makes kill -9 safe): an acked batch's
 * file positions go into the checkpoint, the checkpoint is written atomically, and only then
 * are the batches released from the spool. Acks within CHECKPOINT_INTERVAL_MS share one
 * checkpoint write (and fsync); until it is durable their batches stay in the spool (after a
 * crash they are seen as acked in the welcome, not stored again).
 */
import type { AckFrame } from '../hub/protocol/index.js';
import { pruneCheckpoint, type Checkpoint, type CheckpointWriter } from './checkpoint.js';
import type { Spool, SpoolEntry } from './spool.js';

/** Acks within this interval share one checkpoint write (and fsync). */
const CHECKPOINT_INTERVAL_MS = 50;
/** How often acks also prune the checkpoint of files long gone. */
const PRUNE_EVERY_MS = 3_600_000;

export interface AckStats {
  recordsAcked: number;
  recordsRejected: number;
  batchesAcked: number;
}

export interface AckCommitterOptions {
  /** Keys of the files followed now (kept by pruning). */
  openKeys(): ReadonlySet<string>;
  /** Spool space was released. */
  onReleased(): void;
  onError(err: NodeJS.ErrnoException): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export class AckCommitter {
  readonly stats: AckStats = { recordsAcked: 0, recordsRejected: 0, batchesAcked: 0 };
  private toRelease: SpoolEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastPruneMs = 0;

  constructor(private readonly cp: Checkpoint, private readonly writer: CheckpointWriter, private readonly spool: Spool, private readonly opts: AckCommitterOptions) {}

  /** Highest seq the hub acknowledged to us. */
  get lastSeq(): number {
    return this.cp.lastSeq;
  }

  /** `done`: entries that now form a fully acked prefix; `ack`: the hub's frame, if any. */
  onAcked(done: SpoolEntry[], ack: AckFrame | undefined): void {
    if (ack?.rejected?.length) this.reportRejected(ack);
    if (done.length === 0) return;
    const now = Date.now();
    for (const e of done) {
      for (const p of e.positions) this.cp.files[p.key] = { ...p, ackedMs: now };
      this.cp.lastSeq = Math.max(this.cp.lastSeq, e.seq);
      this.stats.recordsAcked += e.lines;
      this.stats.batchesAcked++;
    }
    if (now - this.lastPruneMs > PRUNE_EVERY_MS) {
      this.lastPruneMs = now;
      const n = pruneCheckpoint(this.cp, this.opts.openKeys(), now);
      if (n > 0) this.opts.info(`forgot the read positions of ${n} file(s) not followed for over a week`);
    }
    this.toRelease.push(...done);
    this.timer ??= setTimeout(() => void this.commit(), CHECKPOINT_INTERVAL_MS);
  }

  /** Writes the checkpoint now and releases what it covers. */
  commit(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const done = this.toRelease;
    this.toRelease = [];
    return this.writer
      .write(this.cp)
      .then(() => this.spool.remove(done))
      .then(() => this.opts.onReleased(), (err: NodeJS.ErrnoException) => this.opts.onError(err));
  }

  private reportRejected(ack: AckFrame): void {
    this.stats.recordsRejected += ack.rejected.length;
    const reasons = ack.rejected.slice(0, 5).map((r) => `#${r.index} ${r.reason}`).join(', ');
    this.opts.warn(`hub rejected ${ack.rejected.length} record(s) of batch ${ack.seq} (${reasons}${ack.rejected.length > 5 ? ', …' : ''}); they are not retried`);
  }
}
