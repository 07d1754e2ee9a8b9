/**
 * The live tail: one WebSocket to `/v1/tail` (docs/protocol.md) with `format=msgpack`, kept open across
 * hub restarts and network drops.
 *
 * Invariant: nothing missed, nothing repeated. Every (re)connect asks for `after=<id of the last
 * record handed to the caller>`, and the hub replays everything stored after that id before
 * going live. Before any record has been seen, the caller's starting id is used.
 *
 * Failures that retrying cannot fix (refused token, bad filter, no tail endpoint) end the tail
 * with a CliError; everything else (refused connection, reset, hub shutdown, silence longer than
 * a few heartbeats) is retried with capped exponential backoff and announced on stderr.
 */
import WebSocket from 'ws';
import type { JsonRecord } from '../hub/protocol/index.js';
import { CliError, describeNetworkError } from './errors.js';
import { hubErrorMessage } from './history.js';
import { decodeMessage, describeDropped, describeGap, judgeClose, recordsOf } from './live-frames.js';
import { IdleWatchdog } from './live-watchdog.js';

export { describeGap };

/** Silence before the hub is pinged, and how long the ping may take (live-watchdog.ts). */
export const DEFAULT_IDLE_TIMEOUT_MS = 20_000;
const PING_TIMEOUT_MS = 5_000;
export const DEFAULT_BACKOFF_INITIAL_MS = 200;
export const DEFAULT_BACKOFF_MAX_MS = 5_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface LiveTailOptions {
  wsUrl: string;
  token: string;
  /** Filter parameters (service, severity, host, file, q, regex). */
  params: URLSearchParams;
  /** Start after this record id (history handoff); undefined = from now. */
  after?: string;
  /** Receives records in order. Return false to pause reading until `resume()`. */
  onRecords: (records: JsonRecord[]) => boolean;
  /** Called when a connection is open (upgrade done, filters subscribed on the hub). */
  onOpen?: (reconnected: boolean) => void;
  /** One line for stderr: reconnects, drops, gaps. */
  onNotice: (line: string) => void;
  idleTimeoutMs?: number;
  pingTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export interface LiveTail {
  /** Resolves after `close()`; rejects with a CliError when the tail cannot go on. */
  readonly done: Promise<void>;
  /** Id of the last record handed to `onRecords`. */
  readonly lastId: string | undefined;
  /** Resume reading after `onRecords` returned false. */
  resume(): void;
  /**
   * Tells the tail that everything up to this id has been printed by other means (the catch-up
   * query), for the next reconnect's `after=`. Ignored once the tail has delivered a record.
   */
  printedUpTo(id: string): void;
  close(): Promise<void>;
}


export function openLiveTail(opts: LiveTailOptions): LiveTail {
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const pingTimeoutMs = opts.pingTimeoutMs ?? PING_TIMEOUT_MS;
  const backoffMaxMs = opts.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS;
  const backoffInitialMs = opts.backoffInitialMs ?? DEFAULT_BACKOFF_INITIAL_MS;

  let lastId = opts.after;
  let seenRecord = false;
  let ws: WebSocket | undefined;
  let everOpened = false;
  let closing = false;
  let outage = false;
  let paused = false;
  let backoffMs = backoffInitialMs;
  let droppedTotal = 0;
  const watchdog = new IdleWatchdog(idleTimeoutMs, pingTimeoutMs, (why) => (lastProblem = why));
  let retryTimer: NodeJS.Timeout | undefined;
  let lastProblem = '';
  let fatal: CliError | undefined;
  /** Frames received on the current connection: a 1008 before any is a refused filter. */
  let framesOnSocket = 0;

  let settle!: (err?: CliError) => void;
  const done = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve());
  });

  function stop(err?: CliError): void {
    if (closing) return;
    closing = true;
    watchdog.stop();
    clearTimeout(retryTimer);
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      ws.once('close', () => settle(err));
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'bye');
      // A hub that does not answer the close handshake does not keep us waiting.
      setTimeout(() => ws?.terminate(), 1000).unref();
    } else {
      settle(err);
    }
  }

  function armIdle(): void {
    if (paused || closing) watchdog.stop();
    else watchdog.arm(ws);
  }

  function url(): string {
    const p = new URLSearchParams(opts.params);
    p.set('format', 'msgpack');
    if (lastId !== undefined) p.set('after', lastId);
    return `${opts.wsUrl}/v1/tail?${p.toString()}`;
  }

  function handleFrame(frame: Record<string, unknown>): void {
    const records = recordsOf(frame);
    if (records) {
      if (records.length === 0) return;
      lastId = records[records.length - 1].id;
      seenRecord = true;
      if (!opts.onRecords(records)) {
        paused = true;
        watchdog.stop();
        ws?.pause();
      }
      return;
    }
    switch (frame.type) {
      case 'dropped': {
        const count = Number(frame.count) || 0;
        droppedTotal += count;
        opts.onNotice(describeDropped(count, droppedTotal));
        return;
      }
      case 'gap':
        opts.onNotice(describeGap(frame));
        return;
      case 'error':
        lastProblem = `${String(frame.message ?? frame.code ?? 'error')}`;
        return;
      default:
        return; // heartbeat; unknown frame types are for newer clients.
    }
  }

  function onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    armIdle();
    framesOnSocket += 1;
    const d = decodeMessage(data, isBinary);
    if ('frame' in d) return handleFrame(d.frame);
    lastProblem = d.problem;
    ws?.terminate();
  }

  function scheduleReconnect(why: string): void {
    if (!outage) {
      outage = true;
      opts.onNotice(`lost the live tail (${why}); reconnecting…`);
    }
    const jitter = 0.8 + Math.random() * 0.4;
    retryTimer = setTimeout(connect, Math.round(backoffMs * jitter));
    backoffMs = Math.min(backoffMs * 2, backoffMaxMs);
  }

  function connect(): void {
    if (closing) return;
    lastProblem = '';
    fatal = undefined;
    framesOnSocket = 0;
    const socket = new WebSocket(url(), {
      headers: { authorization: `Bearer ${opts.token}` },
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false,
    });
    ws = socket;

    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        let body: Record<string, unknown> | undefined;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          body = undefined;
        }
        const message = hubErrorMessage(status, body, 'live tail');
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) fatal = new CliError(message);
        else lastProblem = message;
        socket.terminate();
      });
      res.on('error', () => socket.terminate());
    });

    socket.on('open', () => {
      const reconnected = everOpened;
      everOpened = true;
      backoffMs = backoffInitialMs;
      opts.onOpen?.(reconnected);
      if (outage) {
        outage = false;
        const from = seenRecord || lastId !== undefined ? `resuming after record ${lastId}` : 'resuming';
        opts.onNotice(`reconnected to the hub; ${from}`);
      }
      armIdle();
    });

    socket.on('message', onMessage);
    socket.on('pong', armIdle);

    socket.on('error', (err) => {
      if (!lastProblem) lastProblem = describeNetworkError(err);
    });

    socket.on('close', (code, reasonBuf) => {
      watchdog.stop();
      if (ws !== socket) return;
      paused = false;
      if (closing) return;
      if (fatal) return stop(fatal);
      const verdict = judgeClose({ code, reason: reasonBuf.toString('utf8'), framesOnSocket, firstAttempt: !everOpened && !outage, lastProblem, wsUrl: opts.wsUrl });
      if (verdict instanceof CliError) return stop(verdict);
      const why = verdict;
      scheduleReconnect(why);
    });
  }

  connect();

  return {
    done,
    get lastId() {
      return lastId;
    },
    printedUpTo(id) {
      if (!seenRecord) lastId = id;
    },
    resume() {
      if (!paused) return;
      paused = false;
      ws?.resume();
      armIdle();
    },
    async close() {
      stop();
      await done.catch(() => undefined);
    },
  };
}
