/**
 * The global cap on received ingest bytes not yet decoded (README "Memory bounds",
 * `--max-queued-bytes`): WebSocket frames waiting in their connection's queue because the
 * inflight budget (budget.ts) is full, and POST bodies being read. uWS cannot pause reading a
 * WebSocket, so past the cap a connection is closed with 1013 (try again later; its shipper
 * resends what was not acked) and a body is answered 503 with Retry-After. Together with the
 * inflight budget this bounds what ingest can make the hub hold, whatever the number of clients.
 */
export class QueuedBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  /** Takes `bytes` when they fit under the cap; false (nothing taken) when they do not. */
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get usedBytes(): number {
    return this.used;
  }

  /**
   * Room for one HTTP body while it is read: `admit` (for readBody) takes the bytes read so far
   * as they grow, `release` gives back all it took. A declared length is asked for up front.
   */
  bodyAdmission(): { admit: (bytesSoFar: number) => boolean; release: () => void } {
    let held = 0;
    return {
      admit: (bytes) => {
        if (bytes <= held) return true;
        if (!this.tryTake(bytes - held)) return false;
        held = bytes;
        return true;
      },
      release: () => {
        this.release(held);
        held = 0;
      },
    };
  }
}
