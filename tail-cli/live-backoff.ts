/**
 * How long the live tail waits before reconnecting: starts at `initialMs`, doubles after each
 * failed attempt up to `maxMs`, and goes back to `initialMs` once a connection has stayed open
 * for at least `maxMs` — a hub that accepts and then closes at once (shutting down, or closing
 * this client again and again) meets a growing delay, not a reconnect every `initialMs`. Each
 * delay is jittered by ±20 % so that many tails cut off by one hub restart do not reconnect in step.
 */
export class ReconnectBackoff {
  private currentMs: number;
  private openedAt: number | undefined;

  constructor(private readonly initialMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random, private readonly now: () => number = Date.now) {
    this.currentMs = initialMs;
  }

  /** A connection opened. */
  opened(): void {
    this.openedAt = this.now();
  }

  /** The connection closed: if it had lasted, the next outage starts from the initial delay. */
  closed(): void {
    if (this.openedAt !== undefined && this.now() - this.openedAt >= this.maxMs) this.reset();
    this.openedAt = undefined;
  }

  /** The delay before the next attempt; the one after it will be twice as long (capped). */
  nextDelayMs(): number {
    const jitter = 0.8 + this.random() * 0.4;
    const delayMs = Math.round(this.currentMs * jitter);
    this.currentMs = Math.min(this.currentMs * 2, this.maxMs);
    return delayMs;
  }

  /** The next outage starts from the initial delay again. */
  reset(): void {
    this.currentMs = this.initialMs;
  }
}
