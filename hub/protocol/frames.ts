/**
 * WebSocket frame types (docs/protocol.md: ingest and live tail). Every frame is a MessagePack map with a
 * `type` key; plain maps are always accepted so any MessagePack library can be a client.
 */
import type { Severity } from './severity.js';

export const PROTOCOL_VERSION = 1;

/** A record as it travels on the wire (MessagePack) and on the bus. Times are epoch ms. */
export interface WireRecord {
  /** Hub-assigned, unique across hubs, sortable, usable as a cursor. */
  id: string;
  /** Event time. */
  ts: number;
  /** Time the hub received the record. */
  rts: number;
  service: string;
  severity: Severity;
  message: string;
  host?: string;
  file?: string;
  fields?: Record<string, unknown>;
  truncated?: true;
}

/** A record as a client sends it: the hub assigns id and rts; everything but message is optional. */
export interface IncomingRecord {
  ts?: number | string;
  timestamp?: number | string;
  service?: string;
  severity?: string | number;
  level?: string | number;
  message?: string;
  host?: string;
  file?: string;
  fields?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface HelloFrame { type: 'hello'; shipper: string; host?: string; version: number }
export interface WelcomeFrame {
  type: 'welcome';
  hub: string;
  /** Highest batch seq stored for this shipper id; 0 when never seen. */
  acked: number;
  max_batch_bytes: number;
  max_inflight: number;
}
export interface BatchFrame { type: 'batch'; seq: number; records: IncomingRecord[] }
export interface Rejection { index: number; reason: string }
export interface AckFrame { type: 'ack'; seq: number; stored: number; rejected: Rejection[] }
export interface ErrorFrame { type: 'error'; code: string; message: string }
export interface RecordsFrame { type: 'records'; records: WireRecord[] }
export interface DroppedFrame { type: 'dropped'; count: number }
export interface HeartbeatFrame { type: 'heartbeat' }
/**
 * Live tail: the stream may be missing records that this client could not be told about one by
 * one (the bus was down, or lost messages). `count` is given when known; `from`/`to` (epoch ms)
 * bound the outage when known. The records are in the history (GET /logs) of the hub that stored them.
 */
export interface GapFrame { type: 'gap'; reason: 'bus_outage' | 'bus_lost'; count?: number; from?: number; to?: number }

export type ClientFrame = HelloFrame | BatchFrame;
export type HubFrame = WelcomeFrame | AckFrame | ErrorFrame | RecordsFrame | DroppedFrame | HeartbeatFrame | GapFrame;
export type Frame = ClientFrame | HubFrame;

/** WebSocket close codes the hub uses, and why (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003, // a text frame where binary MessagePack is required
  invalidPayload: 1007, // malformed MessagePack
  policy: 1008, // protocol violation, bad regex, auth lost, stuck client
  tooBig: 1009, // frame larger than max_batch_bytes
  internal: 1011,
  tryAgainLater: 1013, // the hub is at its memory bound for ingest (--max-queued-bytes); resend after a backoff
} as const;
