/**
 * The bus: how stored records fan out to live tails, and how hubs talk to each other (docs/nats.md).
 * One interface, two implementations that pass the same contract suite
 * (test/unit/bus/contract.test.ts):
 *
 * - `openLocalBus()` (local-bus.ts): in-process, one hub, no network. The default.
 * - `openNatsBus()` (nats-bus.ts): NATS. Records published here also reach this hub's own
 *   subscribers in-process (so a live tail on this hub keeps working while NATS is down), and
 *   reach other hubs through NATS.
 *
 * Records travel on `<root>.logs.<service>.<severity>` (protocol/subjects.ts), grouped: one
 * message carries every record of one commit group that shares a subject. Publishing never
 * throws and never blocks: it is called right after a durable commit, and a bus fault must not
 * stop ingest or storage.
 *
 * Invariants:
 * - A subscriber receives each record at most once per subscription, in publish order per
 *   (origin hub, subject).
 * - Records a subscriber missed (an outage on either side) are reported, never silently skipped
 *   where they can be detected: `lost` counts records a publisher sent on a subject that this
 *   subscription did not receive; `outage` events mark windows in which nothing was received.
 * - Request/reply failures are values (`BusReply`), not exceptions; NatsError never leaves hub/bus/.
 */
import type { WireRecord } from '../protocol/frames.js';

/** What `/health` shows under `"bus"`. */
export interface BusStatus {
  /** True when the bus delivers across hubs (NATS connected) or is the in-process bus. */
  ok: boolean;
  kind: 'nats' | 'local';
  /** NATS server currently connected to. */
  server?: string;
  /** Why the bus is not ok, for a person. */
  error?: string;
  /** Epoch ms at which the current state (connected / disconnected) began. */
  since?: number;
  /** Reconnections after the first connection. */
  reconnects?: number;
  [extra: string]: unknown;
}

/** Connection state changes, for logs, metrics and live-tail gap notices. */
export type BusEvent =
  | { type: 'connected'; server: string }
  | { type: 'disconnected'; error?: string; atMs: number }
  /** Back after an outage: records published elsewhere between `fromMs` and `toMs` were missed. */
  | { type: 'reconnected'; server: string; fromMs: number; toMs: number };

export interface RecordsDelivery {
  /** The concrete subject the records were published on. */
  subject: string;
  /**
   * Records published on this subject by the same origin hub that this subscription did not
   * receive (detected from the publisher's per-subject counter); 0 normally.
   */
  lost: number;
}

export type RecordsHandler = (records: WireRecord[], info: RecordsDelivery) => void;

export interface BusSubscription {
  unsubscribe(): void;
}

/** A request's outcome. `code` is stable and snake_case; `message` is for a person. */
export type BusReply =
  | { ok: true; data: Uint8Array }
  | { ok: false; code: 'timeout' | 'no_responders' | 'disconnected' | 'closed' | 'too_large' | 'failed'; message: string };

/** Answers one request; a thrown error is sent back as a failed reply. */
export type RequestHandler = (data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

export interface Bus {
  readonly kind: 'nats' | 'local';
  /** Subject root (default `logwire`); tests use a unique root per test on a shared server. */
  readonly root: string;
  /** Fans out records that were just durably stored. Never throws. */
  publishRecords(records: WireRecord[]): void;
  /** Whether publishRecords would deliver anything (false: the caller may skip building records). */
  wantsRecords(): boolean;
  /** Subscribes to a subject pattern (`*` one token, `>` the rest), e.g. `logwire.logs.payments.*`. */
  subscribeRecords(pattern: string, handler: RecordsHandler): BusSubscription;
  /** Raw publish/subscribe for hub-to-hub control messages (announcements). */
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, handler: (data: Uint8Array, subject: string) => void): BusSubscription;
  /** Answers requests on `subject`. */
  serve(subject: string, handler: RequestHandler): BusSubscription;
  /** One request, one reply. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<BusReply>;
  /**
   * Resolves once every subscription made so far is active at the server (a round trip to NATS;
   * immediate in-process or while disconnected). Used before a replay so nothing falls between.
   */
  flush(): Promise<void>;
  /** Largest message payload the bus carries. */
  maxPayloadBytes(): number;
  status(): BusStatus;
  /** Registers a listener for state changes; returns a function that removes it. */
  onEvent(listener: (event: BusEvent) => void): () => void;
  close(): Promise<void>;
}

/** True when a NATS-style subject pattern matches a concrete subject. */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
