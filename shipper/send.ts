/**
 * Sending (docs/protocol.md): one session at a time (connection.ts) to the first hub URL that answers,
 * failing over in turn; at most `max_inflight` unacked batches; acks handed back to the spool.
 * Reconnects forever with exponential backoff and jitter; nothing is ever discarded.
 *
 * Batches come from the spool in seq order; after a reconnect every unacked batch is sent again
 * with its original seq (the hub acks an already-stored seq without storing it again). Batches
 * at or below the welcome's `acked` are treated as acked without sending, once the pipeline has
 * accepted that welcome (`onWelcome` returns false for one it cannot trust).
 */
import type { AckFrame, WelcomeFrame } from '../hub/protocol/index.js';
import { openConnection, type Connection } from './connection.js';
import type { Spool, SpoolEntry } from './spool.js';

export interface SenderOptions {
  hubs: readonly string[];
  token: string;
  shipperId: string;
  host: string;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Give up on a handshake or hello after this long. */
  connectTimeoutMs?: number;
}

export type LinkState = 'connecting' | 'connected' | 'down';

export interface SenderEvents {
  /** False: the welcome cannot be trusted (see pipeline.ts); the connection is dropped and retried later. */
  onWelcome(w: WelcomeFrame, url: string): boolean;
  /** `done` = spool entries that now form a fully acked prefix (possibly empty). */
  onAcked(done: SpoolEntry[], ack: AckFrame | undefined): void;
  /** The hub refused the token (HTTP 401/403) before any successful connection. */
  onAuthRejected(url: string, status: number): void;
  /** The link went down (acks will not come until it is back). */
  onDown?(): void;
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

export interface Sender {
  start(): void;
  /** A new batch was spooled: send it if the window allows. */
  notify(): void;
  readonly state: LinkState;
  readonly url: string;
  readonly inflight: number;
  close(): Promise<void>;
}

/** Delay before reconnect attempt `n` (0-based): exponential, capped, with jitter in [50%, 100%]. */
export function backoffMs(n: number, baseMs: number, maxMs: number, rand = Math.random): number {
  const ceil = Math.min(maxMs, baseMs * 2 ** Math.min(n, 30));
  return Math.round(ceil / 2 + (rand() * ceil) / 2);
}

/** The first unacked entry with seq above `seq` (entries are in seq order: binary search). */
function firstAfter(entries: readonly SpoolEntry[], seq: number): SpoolEntry | undefined {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < entries.length; lo++) if (!entries[lo].acked) return entries[lo];
  return undefined;
}

export function createSender(opts: SenderOptions, spool: Spool, ev: SenderEvents): Sender {
  return new FailoverSender(opts, spool, ev);
}

class FailoverSender implements Sender {
  state: LinkState = 'connecting';
  inflight = 0;
  private conn: Connection | undefined;
  private urlIndex = 0;
  private attempt = 0;
  private everConnected = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private window = 1;
  /** Highest seq sent on the current connection. */
  private lastSent = 0;
  private pumping = false;
  private downSince = 0;

  constructor(private readonly opts: SenderOptions, private readonly spool: Spool, private readonly ev: SenderEvents) {}

  get url(): string {
    return this.opts.hubs[this.urlIndex];
  }

  start(): void {
    this.state = 'connecting';
    this.connect();
  }

  notify(): void {
    void this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const c = this.conn;
    this.conn = undefined;
    await c?.close();
  }

  private connect(): void {
    if (this.closed) return;
    const url = this.url;
    this.lastSent = 0;
    this.inflight = 0;
    const conn: Connection = openConnection(url, { ...this.opts, authIsFatal: !this.everConnected }, {
      onWelcome: (w) => this.welcomed(conn, url, w),
      onAck: (a) => {
        this.attempt = 0; // the hub stores again: the next outage starts its backoff afresh
        this.inflight = Math.max(0, this.inflight - 1);
        this.ev.onAcked(this.spool.ack(a.seq), a);
        void this.pump();
      },
      onErrorFrame: (code, message) => this.ev.warn(`hub ${url} reported ${code}: ${message}`),
      onDown: (reason) => this.down(reason),
      onAuthRejected: (status) => this.ev.onAuthRejected(url, status),
      warn: (m) => this.ev.warn(m),
    });
    this.conn = conn;
  }

  private welcomed(conn: Connection, url: string, w: WelcomeFrame): void {
    this.window = Math.max(1, Number(w.max_inflight) || 1);
    const acked = Number(w.acked) || 0;
    if (!this.ev.onWelcome(w, url)) return conn.terminate();
    if (this.state === 'down') this.ev.info(`connected to hub ${url} after ${Math.round((Date.now() - this.downSince) / 1000)} s; sending ${this.spool.entries.length} spooled batch(es)`);
    else this.ev.info(`connected to hub ${url} (hub id ${w.hub})`);
    this.state = 'connected';
    this.everConnected = true;
    // A hub that welcomes and then closes with 1013 (busy) must meet a growing backoff: with
    // batches waiting, the backoff resets on an ack, or when the welcome says the hub stored
    // some it never got to ack (a busy hub stores what it decoded before closing).
    const oldest = this.spool.entries[0];
    if (!oldest || acked >= oldest.seq) this.attempt = 0;
    if (acked > 0) this.ev.onAcked(this.spool.ack(acked, true), undefined);
    this.lastSent = acked;
    void this.pump();
  }

  private down(reason: string): void {
    this.conn = undefined;
    this.inflight = 0;
    if (this.closed) return;
    if (this.state !== 'down') {
      this.downSince = Date.now();
      this.ev.warn(`hub ${this.url} ${reason}; keeping batches in the spool (${this.spool.entries.length} waiting) and retrying with backoff`);
    } else this.ev.debug(`hub ${this.url} ${reason}`);
    this.state = 'down';
    this.ev.onDown?.();
    this.urlIndex = (this.urlIndex + 1) % this.opts.hubs.length;
    // A full round over all hubs counts as one attempt for the backoff.
    const delay = this.urlIndex === 0 || this.opts.hubs.length === 1 ? backoffMs(this.attempt++, this.opts.retryBaseMs, this.opts.retryMaxMs) : 0;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.state === 'connected' && this.conn?.open && this.inflight < this.window) {
        const next = firstAfter(this.spool.entries, this.lastSent);
        if (!next) break;
        const conn = this.conn;
        const frame = await this.spool.frame(next);
        if (conn !== this.conn || !conn.open) break;
        this.lastSent = next.seq;
        this.inflight++;
        conn.send(frame);
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.ev.warn(`could not send a spooled batch: ${e?.code ?? e?.message ?? String(err)}`);
      this.conn?.terminate();
    } finally {
      this.pumping = false;
    }
  }
}
