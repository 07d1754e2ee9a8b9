/**
 * One live tail's lifecycle (live.ts has the contract): a WebSocket to `/v1/tail`, replaced after
 * every drop until `stop()`. Each method is one event of that lifecycle: connecting, a refused
 * handshake, the connection opening, a frame arriving, the connection closing, stopping.
 *
 * Invariants:
 * - `afterId` is the id of the last record handed to the caller (or the caller's starting id),
 *   and every connection asks for `after=afterId`: nothing missed, nothing repeated.
 * - At most one socket is current (`ws`); events from a socket that is no longer current are
 *   ignored.
 * - `done` settles exactly once, after the last socket has closed.
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import type { JsonRecord } from '../hub/protocol/index.js';
import { CliError, describeNetworkError } from './errors.js';
import { hubErrorMessage } from './history.js';
import { decodeMessage, describeDropped, describeGap, judgeClose, recordsOf } from './live-frames.js';
import type { ReconnectBackoff } from './live-backoff.js';
import { IdleWatchdog } from './live-watchdog.js';
import type { LiveTail, LiveTailOptions } from './live.js';

/** Timings of one session, with the defaults already applied (live.ts). */
export interface LiveTailTimings {
  idleTimeoutMs: number;
  pingTimeoutMs: number;
  handshakeTimeoutMs: number;
}

/** How long a hub that does not answer our close handshake may keep us waiting. */
const CLOSE_GRACE_MS = 1000;

export class LiveTailSession implements LiveTail {
  readonly done: Promise<void>;
  private settle!: (err?: CliError) => void;

  /** Id for the next connection's `after=`: the last record delivered, or the caller's start. */
  private afterId: string | undefined;
  /** A record has been delivered (from then on `printedUpTo` is ignored). */
  private seenRecord = false;
  private ws: WebSocket | undefined;
  private everOpened = false;
  private closing = false;
  /** Connection lost and not yet back: the "reconnecting" notice has been given. */
  private outage = false;
  /** The caller asked us to stop reading (stdout backpressure) until `resume()`. */
  private paused = false;
  private droppedTotal = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Why the current connection is failing, for the notice or error after it closes. */
  private lastProblem = '';
  /** A refusal that retrying cannot fix, seen before the socket closed. */
  private fatal: CliError | undefined;
  /** Frames received on the current connection: a 1008 before any is a refused filter. */
  private framesOnSocket = 0;
  private readonly watchdog: IdleWatchdog;

  constructor(private readonly opts: LiveTailOptions, private readonly timings: LiveTailTimings, private readonly backoff: ReconnectBackoff) {
    this.afterId = opts.after;
    this.watchdog = new IdleWatchdog(timings.idleTimeoutMs, timings.pingTimeoutMs, (why) => (this.lastProblem = why));
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
  }

  get lastId(): string | undefined {
    return this.afterId;
  }

  printedUpTo(id: string): void {
    if (!this.seenRecord) this.afterId = id;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.ws?.resume();
    this.armIdle();
  }

  async close(): Promise<void> {
    this.stop();
    await this.done.catch(() => undefined);
  }

  /** The tail URL for the next connection: the caller's filters, MessagePack, and `after=`. */
  private url(): string {
    const p = new URLSearchParams(this.opts.params);
    p.set('format', 'msgpack');
    if (this.afterId !== undefined) p.set('after', this.afterId);
    return `${this.opts.wsUrl}/v1/tail?${p.toString()}`;
  }

  /** Opens a new connection (the first, or after a drop) and listens to it. */
  connect(): void {
    if (this.closing) return;
    this.lastProblem = '';
    this.fatal = undefined;
    this.framesOnSocket = 0;
    const socket = new WebSocket(this.url(), {
      headers: { authorization: `Bearer ${this.opts.token}` },
      handshakeTimeout: this.timings.handshakeTimeoutMs,
      perMessageDeflate: false,
    });
    this.ws = socket;
    socket.on('unexpected-response', (_req, res) => this.onRefused(socket, res));
    socket.on('open', () => this.onOpen());
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('pong', () => this.armIdle());
    socket.on('error', (err) => {
      if (!this.lastProblem) this.lastProblem = describeNetworkError(err);
    });
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString('utf8')));
  }

  /**
   * The hub answered the upgrade with an HTTP status instead: a client error (bad token, bad
   * filter, no such endpoint) is fatal; anything else (timeouts, overload, 5xx) is retried.
   */
  private onRefused(socket: WebSocket, res: IncomingMessage): void {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const status = res.statusCode ?? 0;
      const message = hubErrorMessage(status, parseJsonBody(chunks), 'live tail');
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) this.fatal = new CliError(message);
      else this.lastProblem = message;
      socket.terminate();
    });
    res.on('error', () => socket.terminate());
  }

  private onOpen(): void {
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.backoff.opened();
    this.opts.onOpen?.(reconnected);
    if (this.outage) {
      this.outage = false;
      const from = this.seenRecord || this.afterId !== undefined ? `resuming after record ${this.afterId}` : 'resuming';
      this.opts.onNotice(`reconnected to the hub; ${from}`);
    }
    this.armIdle();
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.armIdle();
    this.framesOnSocket += 1;
    const decoded = decodeMessage(data, isBinary);
    if ('frame' in decoded) return this.onFrame(decoded.frame);
    this.lastProblem = decoded.problem;
    this.ws?.terminate();
  }

  private onFrame(frame: Record<string, unknown>): void {
    const records = recordsOf(frame);
    if (records) return this.deliver(records);
    switch (frame.type) {
      case 'dropped': {
        const count = Number(frame.count) || 0;
        this.droppedTotal += count;
        this.opts.onNotice(describeDropped(count, this.droppedTotal));
        return;
      }
      case 'gap':
        this.opts.onNotice(describeGap(frame));
        return;
      case 'error':
        this.lastProblem = `${String(frame.message ?? frame.code ?? 'error')}`;
        return;
      default:
        return; // heartbeat; unknown frame types are for newer clients.
    }
  }

  /** Hands records to the caller; stops reading the socket when the caller says it is full. */
  private deliver(records: JsonRecord[]): void {
    if (records.length === 0) return;
    this.afterId = records[records.length - 1].id;
    this.seenRecord = true;
    if (this.opts.onRecords(records)) return;
    this.paused = true;
    this.watchdog.stop();
    this.ws?.pause();
  }

  /** A connection ended: stop for good when retrying cannot help, else reconnect. */
  private onClose(socket: WebSocket, code: number, reason: string): void {
    this.watchdog.stop();
    if (this.ws !== socket) return;
    this.backoff.closed();
    this.paused = false;
    if (this.closing) return;
    if (this.fatal) return this.stop(this.fatal);
    const verdict = judgeClose({ code, reason, framesOnSocket: this.framesOnSocket, firstAttempt: !this.everOpened && !this.outage, lastProblem: this.lastProblem, wsUrl: this.opts.wsUrl });
    if (verdict instanceof CliError) return this.stop(verdict);
    this.scheduleReconnect(verdict);
  }

  /** Announces the outage once, then retries after the backoff's next delay. */
  private scheduleReconnect(why: string): void {
    if (!this.outage) {
      this.outage = true;
      this.opts.onNotice(`lost the live tail (${why}); reconnecting…`);
    }
    this.retryTimer = setTimeout(() => this.connect(), this.backoff.nextDelayMs());
  }

  /** Watches for silence while reading; a paused or stopping tail expects none. */
  private armIdle(): void {
    if (this.paused || this.closing) this.watchdog.stop();
    else this.watchdog.arm(this.ws);
  }

  /** Ends the tail: closes the socket politely, then settles `done` (rejecting with `err`). */
  private stop(err?: CliError): void {
    if (this.closing) return;
    this.closing = true;
    this.watchdog.stop();
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return this.settle(err);
    ws.once('close', () => this.settle(err));
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000, 'bye');
    setTimeout(() => this.ws?.terminate(), CLOSE_GRACE_MS).unref();
  }
}

/** The JSON error body of a refused upgrade; undefined when it is not JSON. */
function parseJsonBody(chunks: Buffer[]): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
