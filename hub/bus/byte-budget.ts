/**
 * A pool of bytes that callers reserve before they hold data and give back after: how cluster
 * history keeps what it gathers from peers under a fixed bound (docs/nats.md "Memory bound").
 * Grants never exceed what is left, so the total held never exceeds the pool.
 */
export class ByteBudget {
  private left: number;

  constructor(readonly totalBytes: number) {
    this.left = totalBytes;
  }

  /** Reserves up to `wantBytes`; returns how many were granted (possibly 0). */
  take(wantBytes: number): number {
    const granted = Math.max(0, Math.min(Math.floor(wantBytes), this.left));
    this.left -= granted;
    return granted;
  }

  /** Returns bytes reserved earlier. */
  give(bytes: number): void {
    this.left = Math.min(this.totalBytes, this.left + Math.max(0, bytes));
  }

  available(): number {
    return this.left;
  }
}
