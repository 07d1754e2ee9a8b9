/**
 * How long the live tail waits before reconnecting: starts at `initialMs`, doubles after each
 * failed attempt up to `maxMs`, and goes back to `initialMs` once a connection opens. Each delay
 * is jittered by ±20 % so that many tails cut off by one hub restart do not reconnect in step.
 */
export class ReconnectBackoff {
  private currentMs: number;

  constructor(private readonly initialMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random) {
    this.currentMs = initialMs;
  }

  /** The delay before the next attempt; the one after it will be twice as long (capped). */
  nextDelayMs(): number {
    const jitter = 0.8 + this.random() * 0.4;
    const delayMs = Math.round(this.currentMs * jitter);
    this.currentMs = Math.min(this.currentMs * 2, this.maxMs);
    return delayMs;
  }

  /** A connection opened: the next outage starts from the initial delay again. */
  reset(): void {
    this.currentMs = this.initialMs;
  }
}
