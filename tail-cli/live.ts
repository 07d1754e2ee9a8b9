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
 *
 * This file is the contract (options, the LiveTail handle, defaults); live-session.ts is the
 * connection lifecycle, live-backoff.ts the reconnect delays, live-frames.ts what the hub sends,
 * live-watchdog.ts how a dead connection is noticed.
 */
import type { JsonRecord } from '../hub/protocol/index.js';
import { ReconnectBackoff } from './live-backoff.js';
import { describeGap } from './live-frames.js';
import { LiveTailSession } from './live-session.js';

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

/** Opens the live tail; it reconnects on its own until `close()` or a failure retrying cannot fix. */
export function openLiveTail(opts: LiveTailOptions): LiveTail {
  const timings = {
    idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    pingTimeoutMs: opts.pingTimeoutMs ?? PING_TIMEOUT_MS,
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  };
  const backoff = new ReconnectBackoff(opts.backoffInitialMs ?? DEFAULT_BACKOFF_INITIAL_MS, opts.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS);
  const session = new LiveTailSession(opts, timings, backoff);
  session.connect();
  return session;
}
