/**
 * One WebSocket session with a hub (docs/protocol.md): upgrade with the token, `hello`, then frames in
 * and out. It reports exactly one end per session (`onDown`, or `onAuthRejected` when the hub
 * refuses the token before the first session ever succeeded), and keeps itself honest with
 * timeouts: the handshake and the welcome must come in time, and a hub that stops answering
 * pings is dropped.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, PROTOCOL_VERSION, type AckFrame, type WelcomeFrame } from '../hub/protocol/index.js';

const PING_EVERY_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_WAIT_MS = 150;

export interface ConnectionOptions {
  token: string;
  shipperId: string;
  host: string;
  /** Give up on a handshake after this long, on a welcome after twice that. */
  connectTimeoutMs?: number;
  /** 401/403 ends everything (not retried) when true: no session has succeeded yet. */
  authIsFatal: boolean;
}

export interface ConnectionHandlers {
  onWelcome(w: WelcomeFrame): void;
  onAck(a: AckFrame): void;
  /** The hub reported an error frame (it closes next). */
  onErrorFrame(code: string, message: string): void;
  /** The session ended: why, for a person. */
  onDown(reason: string): void;
  onAuthRejected(status: number): void;
  warn(msg: string): void;
}

export interface Connection {
  readonly open: boolean;
  send(frame: Buffer): void;
  terminate(): void;
  /** Closes with 1000, or gives up after CLOSE_WAIT_MS (a stopping shipper does not wait for a slow hub). */
  close(): Promise<void>;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}

export function openConnection(url: string, opts: ConnectionOptions, h: ConnectionHandlers): Connection {
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const sock = new WebSocket(url, {
    headers: { Authorization: `Bearer ${opts.token}` },
    perMessageDeflate: false,
    handshakeTimeout: timeoutMs,
    // ws masks with a random key as RFC 6455 requires: log lines carry attacker-influenced
    // bytes (paths, user agents), the very case masking protects intermediaries from (§10.3).
  });
  let ended = false;
  let alive = true;
  const helloTimer = setTimeout(() => sock.terminate(), timeoutMs * 2);
  const pinger = setInterval(() => {
    if (!alive) return sock.terminate();
    alive = false;
    if (sock.readyState === WebSocket.OPEN) sock.ping();
  }, PING_EVERY_MS);
  const end = (report: () => void): void => {
    if (ended) return;
    ended = true;
    clearTimeout(helloTimer);
    clearInterval(pinger);
    report();
  };

  sock.on('pong', () => (alive = true));
  sock.on('unexpected-response', (_req, res) => {
    const status = res.statusCode ?? 0;
    res.resume();
    const auth = status === 401 || status === 403;
    if (auth && opts.authIsFatal) end(() => h.onAuthRejected(status));
    else end(() => h.onDown(auth ? `refused the token (HTTP ${status})` : `answered HTTP ${status} instead of upgrading`));
    sock.terminate();
  });
  sock.on('open', () => sock.send(encodeFrame({ type: 'hello', shipper: opts.shipperId, host: opts.host, version: PROTOCOL_VERSION })));
  sock.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    const r = decodeFrame(data);
    if (!r.ok) return h.warn(`hub sent an unreadable frame (${r.message})`);
    const f = r.frame;
    if (f.type === 'welcome') {
      clearTimeout(helloTimer);
      h.onWelcome(f);
    } else if (f.type === 'ack') h.onAck(f);
    else if (f.type === 'error') h.onErrorFrame(String(f.code), String(f.message));
  });
  sock.on('error', (err) => end(() => h.onDown(`is unreachable (${describe(err)})`)));
  sock.on('close', (code, reason) => end(() => h.onDown(`closed the connection (${code}${reason.length ? ` ${reason.toString()}` : ''})`)));

  return {
    get open() {
      return sock.readyState === WebSocket.OPEN;
    },
    send(frame) {
      sock.send(frame, { binary: true });
    },
    terminate() {
      sock.terminate();
    },
    async close() {
      ended = true;
      clearTimeout(helloTimer);
      clearInterval(pinger);
      if (sock.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((res) => {
        sock.once('close', () => res());
        sock.close(1000);
        setTimeout(() => {
          sock.terminate();
          res();
        }, CLOSE_WAIT_MS).unref();
      });
    },
  };
}
