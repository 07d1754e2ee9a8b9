/**
 * The global budget of ingest bytes in flight (README "Memory bounds"): bytes of frames and bodies
 * being decoded, validated and stored but not yet acked, across all connections. uWS cannot
 * pause reading a WebSocket, so frames that do not fit wait undecoded in their connection's
 * queue (bounded per connection) until an ack frees room; decoded batches are what cost memory.
 */
export class InflightBudget {
  private used = 0;
  private readonly listeners: Array<() => void> = [];

  constructor(readonly limitBytes: number) {}

  /** Whether `bytes` more fit now. One item always fits an idle hub, so a batch over the budget still goes through alone. */
  fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limitBytes;
  }

  take(bytes: number): void {
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used -= bytes;
    for (const fn of this.listeners) fn();
  }

  /** Called after every release: the ingest server drains its waiting frames. */
  onRelease(fn: () => void): void {
    this.listeners.push(fn);
  }

  get usedBytes(): number {
    return this.used;
  }
}
