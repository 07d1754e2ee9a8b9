/**
 * Per-connection state of a shipper on /v1/ingest and the rules of its conversation (docs/protocol.md):
 * hello first, then batches with increasing seq (a resent one is acked again), at most
 * `max_inflight` unacked.
 */
import type { Principal } from '../auth/tokens.js';

export interface IngestConnection {
  principal: Principal;
  /** Set by hello. */
  shipper?: string;
  /** The shipper's dedupe state key: token and shipper id together (dedupe.ts). */
  dedupeKey?: string;
  /** welcome.acked as sent: the highest seq stored for this key. */
  ackedAtHello: number;
  host?: string;
  /** Last batch seq received on this connection. */
  lastSeq: number;
  inflight: number;
  /** Frames received while the global budget was full, undecoded, in arrival order (budget.ts). */
  queue: Buffer[];
  queuedBytes: number;
  closed: boolean;
  remote: string;
}

export function newConnection(principal: Principal, remote: string): IngestConnection {
  return { principal, lastSeq: 0, ackedAtHello: 0, inflight: 0, queue: [], queuedBytes: 0, closed: false, remote };
}

export const MAX_SHIPPER_ID_CHARS = 256;

/** Protocol violations: each closes the connection with an error frame and close code 1008. */
export const ProtocolError = {
  helloRequired: 'hello_required',
  duplicateHello: 'duplicate_hello',
  badHello: 'bad_hello',
  unsupportedVersion: 'unsupported_version',
  badBatch: 'bad_batch',
  seqJump: 'seq_jump_too_large',
  inflightExceeded: 'inflight_exceeded',
  unknownFrame: 'unknown_frame',
  malformed: 'malformed_frame',
  notBinary: 'text_frame',
  tooBig: 'batch_too_big',
  storeUnavailable: 'store_unavailable',
  hubBusy: 'hub_busy',
} as const;
