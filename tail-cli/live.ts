/**
 * The live tail: one WebSocket to `/v1/tail` (SPEC §4) with `format=msgpack`, kept open across
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
import { decodeFrame } from '../hub/protocol/index.js';
import type { JsonRecord } from '../hub/protocol/index.js';
import { CliError, describeNetworkError } from './errors.js';
import { hubErrorMessage } from './history.js';
import { toPrintable } from './printable.js';

/**
 * No frame for this long (heartbeats come every ~5 s) earns the hub a ping; no answer within
 * PING_TIMEOUT_MS after that means the connection is dead. The ping step keeps a tail whose own
 * event loop was blocked (a stalled stdout pipe) from mistaking its own stall for a dead hub.
 */
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

/** Close codes after which reconnecting would only fail the same way (RFC 6455 §7.4.1). */
const FATAL_CLOSE = new Set([1002, 1003, 1007, 1008]);

function isRecordsFrame(f: unknown): f is { type: 'records'; records: unknown[] } {
  return (f as { type?: unknown }).type === 'records' && Array.isArray((f as { records?: unknown }).records);
}

/** One stderr line for a `gap` frame (records the live stream may lack while the bus was out). */
export function describeGap(frame: Record<string, unknown>): string {
  const when = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) ? new Date(v).toISOString() : undefined);
  const count = typeof frame.count === 'number' ? `${frame.count} record${frame.count === 1 ? '' : 's'}` : 'records';
  const from = when(frame.from);
  const to = when(frame.to);
  const span = from && to ? ` between ${from} and ${to}` : from ? ` since ${from}` : '';
  const why = frame.reason === 'bus_lost' ? 'the hub lost its message bus'
    : frame.reason === 'bus_outage' ? "the hub's message bus was out"
      : `the hub reported a gap (${String(frame.reason ?? 'unknown')})`;
  return `${why}: ${count}${span} may be missing from the live stream; they are in the history (GET /logs)`;
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
  let idleTimer: NodeJS.Timeout | undefined;
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
    clearTimeout(idleTimer);
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
    clearTimeout(idleTimer);
    if (paused || closing) return;
    const socket = ws;
    idleTimer = setTimeout(() => {
      if (socket?.readyState !== WebSocket.OPEN) return;
      socket.ping();
      idleTimer = setTimeout(() => {
        lastProblem = `nothing from the hub for ${Math.round((idleTimeoutMs + pingTimeoutMs) / 1000)}s`;
        socket.terminate();
      }, pingTimeoutMs);
    }, idleTimeoutMs);
  }

  function url(): string {
    const p = new URLSearchParams(opts.params);
    p.set('format', 'msgpack');
    if (lastId !== undefined) p.set('after', lastId);
    return `${opts.wsUrl}/v1/tail?${p.toString()}`;
  }

  function handleFrame(frame: Record<string, unknown>): void {
    if (isRecordsFrame(frame)) {
      // Records arrive as WireRecords (msgpack) or, from a JSON-speaking hub, in JSON shape.
      const records = frame.records.map(toPrintable).filter((r): r is JsonRecord => r !== undefined);
      if (records.length === 0) return;
      lastId = records[records.length - 1].id;
      seenRecord = true;
      if (!opts.onRecords(records)) {
        paused = true;
        clearTimeout(idleTimer);
        ws?.pause();
      }
      return;
    }
    switch (frame.type) {
      case 'heartbeat':
        return;
      case 'dropped': {
        const count = Number(frame.count) || 0;
        droppedTotal += count;
        opts.onNotice(`the hub dropped ${count} record${count === 1 ? '' : 's'} because this client fell behind (${droppedTotal} dropped so far); they are in the history (GET /logs)`);
        return;
      }
      case 'gap':
        opts.onNotice(describeGap(frame));
        return;
      case 'error':
        lastProblem = `${String(frame.message ?? frame.code ?? 'error')}`;
        return;
      default:
        return; // Unknown frame types are for newer clients.
    }
  }

  function onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    armIdle();
    framesOnSocket += 1;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let frame: unknown;
    if (isBinary) {
      const r = decodeFrame(bytes);
      if (!r.ok) {
        lastProblem = `unreadable frame from the hub (${r.message})`;
        ws?.terminate();
        return;
      }
      frame = r.frame;
    } else {
      try {
        frame = JSON.parse(bytes.toString('utf8'));
      } catch {
        lastProblem = 'unreadable text frame from the hub';
        ws?.terminate();
        return;
      }
    }
    if (frame && typeof frame === 'object') handleFrame(frame as Record<string, unknown>);
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
      clearTimeout(idleTimer);
      if (ws !== socket) return;
      paused = false;
      if (closing) return;
      const reason = reasonBuf.toString('utf8');
      if (fatal) return stop(fatal);
      // The hub also closes with 1008 a client too slow to read ("too slow: …") or one whose
      // token went away; only a 1008 before any frame is a refused filter. The others are worth
      // a reconnect: `after=` then replays what this client missed, and a revoked token gets a 401.
      const refused = code !== 1008 || (framesOnSocket === 0 && !/^too slow/i.test(reason));
      if (FATAL_CLOSE.has(code) && refused) {
        return stop(new CliError(`the hub closed the live tail (${code}): ${reason || lastProblem || 'policy violation'}`));
      }
      if (!everOpened && !outage && code === 1006 && lastProblem !== '' && !/timed out|nothing from/.test(lastProblem)) {
        // The very first connection failed at the network level: the hub is not there.
        return stop(new CliError(`cannot reach the hub at ${opts.wsUrl}: ${lastProblem}`));
      }
      const why = lastProblem || (reason ? `${code} ${reason}` : code === 1006 ? 'connection dropped' : `closed with ${code}`);
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
