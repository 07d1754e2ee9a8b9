/**
 * When reading must wait (docs/shipper.md "Backpressure"). Nothing is ever dropped: reading
 * pauses instead, and resumes as soon as the reason is gone.
 *
 * Reading waits while
 * - too many batches (or bytes) are waiting for the spool's write + fsync;
 * - the spool holds `spoolMaxBytes` (the hub is down or slow: the cap on disk use);
 * - the hub is connected and the unacked spool exceeds what is kept in memory: while the hub
 *   keeps up, read ahead only as far as the frames kept in memory, so none is read back from
 *   disk to be sent; while it is down, spool up to the cap (rotation may delete files).
 */
import type { Spool } from './spool.js';

/** Batches (and their bytes) waiting for the spool's write + fsync before reading waits. */
const MAX_PENDING_APPENDS = 8;
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export interface BackpressureOptions {
  spoolMaxBytes: number;
  /** Unacked bytes beyond which reading waits while connected. */
  connectedReadAheadBytes: number;
  connected(): boolean;
  /** Told once when the spool first fills up. */
  onFull(spoolBytes: number): void;
}

export class ReadGate {
  private pendingAppends = 0;
  private pendingBytes = 0;
  private waiters: Array<() => void> = [];
  private warnedFull = false;

  constructor(private readonly spool: Spool, private readonly opts: BackpressureOptions) {}

  /** A batch was handed to the spool. */
  appendStarted(bytes: number): void {
    this.pendingAppends++;
    this.pendingBytes += bytes;
  }

  /** A batch handed to the spool is durable (or failed). */
  appendDone(bytes: number): void {
    this.pendingAppends--;
    this.pendingBytes -= bytes;
    this.release();
  }

  /** Resolves when reading may continue; undefined when it may go on now. */
  wait(): Promise<void> | undefined {
    if (!this.blocked()) return undefined;
    if (this.spoolFull() && !this.warnedFull) {
      this.warnedFull = true;
      this.opts.onFull(this.spool.bytes);
    }
    return new Promise<void>((res) => this.waiters.push(res));
  }

  /** Re-checks the conditions (after acks, spool cleanup, a change of link state). */
  release(): void {
    if (this.waiters.length === 0 || this.blocked()) return;
    this.openAll();
  }

  /** Lets every waiter go (shutdown). */
  openAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  private spoolFull(): boolean {
    return this.spool.bytes + this.pendingBytes >= this.opts.spoolMaxBytes;
  }

  private blocked(): boolean {
    return (
      this.pendingAppends >= MAX_PENDING_APPENDS ||
      this.pendingBytes >= MAX_PENDING_BYTES ||
      this.spoolFull() ||
      (this.opts.connected() && this.spool.unackedBytes + this.pendingBytes >= this.opts.connectedReadAheadBytes)
    );
  }
}
