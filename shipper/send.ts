/**
 * The WebSocket client (SPEC §3): one persistent connection at a time, to the first hub URL
 * that answers (failover in turn), hello/welcome, at most `max_inflight` unacked batches, acks.
 * Reconnects forever with exponential backoff and jitter; nothing is ever discarded.
 *
 * Batches come from the spool in seq order; after a reconnect every unacked batch is sent again
 * with its original seq (the hub acks an already-stored seq without storing it again). Batches
 * at or below the welcome's `acked` are treated as acked without sending.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, PROTOCOL_VERSION, type AckFrame, type WelcomeFrame } from '../hub/protocol/index.js';
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

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
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
  let ws: WebSocket | undefined;
  let state: LinkState = 'connecting';
  let urlIndex = 0;
  let attempt = 0;
  let everConnected = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let window = 1;
  let inflight = 0;
  /** Highest seq sent on the current connection. */
  let lastSent = 0;
  let pumping = false;
  let downSince = 0;

  function scheduleReconnect(reason: string): void {
    ws = undefined;
    inflight = 0;
    if (closed) return;
    if (state !== 'down') {
      downSince = Date.now();
      const spooled = spool.entries.length;
      ev.warn(`hub ${opts.hubs[urlIndex]} ${reason}; keeping batches in the spool (${spooled} waiting) and retrying with backoff`);
    } else ev.debug(`hub ${opts.hubs[urlIndex]} ${reason}`);
    state = 'down';
    urlIndex = (urlIndex + 1) % opts.hubs.length;
    // A full round over all hubs counts as one attempt for the backoff.
    const delay = urlIndex === 0 || opts.hubs.length === 1 ? backoffMs(attempt++, opts.retryBaseMs, opts.retryMaxMs) : 0;
    retryTimer = setTimeout(connect, delay);
  }

  function connect(): void {
    if (closed) return;
    const url = opts.hubs[urlIndex];
    let settled = false;
    const sock = new WebSocket(url, {
      headers: { Authorization: `Bearer ${opts.token}` },
      perMessageDeflate: false,
      handshakeTimeout: opts.connectTimeoutMs ?? 10_000,
      // ws masks with a random key as RFC 6455 requires: log lines carry attacker-influenced
      // bytes (paths, user agents), the very case masking protects intermediaries from (§10.3).
    });
    ws = sock;
    lastSent = 0;
    inflight = 0;
    const helloTimer = setTimeout(() => sock.terminate(), (opts.connectTimeoutMs ?? 10_000) * 2);
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(helloTimer);
      clearInterval(pinger);
      scheduleReconnect(reason);
    };
    let alive = true;
    const pinger = setInterval(() => {
      if (!alive) return sock.terminate();
      alive = false;
      if (sock.readyState === WebSocket.OPEN) sock.ping();
    }, 15_000);
    sock.on('pong', () => (alive = true));
    sock.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if ((status === 401 || status === 403) && !everConnected) {
        settled = true;
        clearTimeout(helloTimer);
        clearInterval(pinger);
        sock.terminate();
        ev.onAuthRejected(url, status);
        return;
      }
      sock.terminate();
      fail(status === 401 || status === 403 ? `refused the token (HTTP ${status})` : `answered HTTP ${status} instead of upgrading`);
    });
    sock.on('open', () => {
      sock.send(encodeFrame({ type: 'hello', shipper: opts.shipperId, host: opts.host, version: PROTOCOL_VERSION }));
    });
    sock.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const r = decodeFrame(data);
      if (!r.ok) return ev.warn(`hub sent an unreadable frame (${r.message})`);
      const f = r.frame;
      if (f.type === 'welcome') {
        clearTimeout(helloTimer);
        window = Math.max(1, Number(f.max_inflight) || 1);
        const acked = Number(f.acked) || 0;
        if (!ev.onWelcome(f, url)) {
          sock.terminate();
          return;
        }
        if (state === 'down') ev.info(`connected to hub ${url} after ${Math.round((Date.now() - downSince) / 1000)} s; sending ${spool.entries.length} spooled batch(es)`);
        else ev.info(`connected to hub ${url} (hub id ${f.hub})`);
        state = 'connected';
        everConnected = true;
        attempt = 0;
        if (acked > 0) ev.onAcked(spool.ack(acked, true), undefined);
        lastSent = acked;
        pump();
      } else if (f.type === 'ack') {
        inflight = Math.max(0, inflight - 1);
        ev.onAcked(spool.ack(f.seq), f);
        pump();
      } else if (f.type === 'error') {
        ev.warn(`hub ${url} reported ${f.code}: ${f.message}`);
      }
    });
    sock.on('error', (err) => fail(`is unreachable (${describe(err)})`));
    sock.on('close', (code, reason) => fail(`closed the connection (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (state === 'connected' && ws && ws.readyState === WebSocket.OPEN && inflight < window) {
        const next = firstAfter(spool.entries, lastSent);
        if (!next) break;
        const sock = ws;
        const frame = await spool.frame(next);
        if (sock !== ws || sock.readyState !== WebSocket.OPEN) break;
        lastSent = next.seq;
        inflight++;
        sock.send(frame, { binary: true });
      }
    } catch (err) {
      ev.warn(`could not send a spooled batch: ${describe(err)}`);
      ws?.terminate();
    } finally {
      pumping = false;
    }
  }

  return {
    start() {
      state = 'connecting';
      connect();
    },
    notify() {
      void pump();
    },
    get state() {
      return state;
    },
    get url() {
      return opts.hubs[urlIndex];
    },
    get inflight() {
      return inflight;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const sock = ws;
      ws = undefined;
      if (sock && sock.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((res) => {
          sock.once('close', () => res());
          sock.close(1000);
          setTimeout(() => {
            sock.terminate();
            res();
          }, 1000).unref();
        });
      }
    },
  };
}
