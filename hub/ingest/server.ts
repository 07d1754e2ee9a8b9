/**
 * `/v1/ingest`: the shipper WebSocket (docs/protocol.md). Authenticated on the upgrade (401/403 before
 * it), then hello → welcome, batch → ack (sent only once the batch is durable). Every protocol
 * fault costs only this connection: an error frame, then a close code that says why. A store
 * fault is 1011; bad input never is.
 */
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { HubContext } from '../context.js';
import { toHubError } from '../errors.js';
import { CloseCode, PROTOCOL_VERSION, decodeFrame, encodeFrame, type BatchFrame, type HelloFrame, type HubFrame } from '../protocol/index.js';
import { upgradeAuthenticated } from '../http/upgrade.js';
import { MAX_SHIPPER_ID_CHARS, ProtocolError, newConnection, type IngestConnection } from './connection.js';
import { storeBatch, type StoreOutcome } from './store-batch.js';
import { storeScannedBatch } from './fast-batch.js';
import { LabelCache } from './label-cache.js';
import { scanBatch } from '../protocol/batch-scan.js';
import type { BatchOrigin } from '../store/types.js';
import { MAX_SEQ_JUMP, ackedFor, dedupeKey } from './dedupe.js';
import type { InflightBudget } from './budget.js';
import type { QueuedBudget } from './queued-budget.js';

type Socket = WebSocket<IngestConnection>;

/**
 * uWS drops a connection without a close frame (1006) when a frame exceeds its
 * maxPayloadLength, before any callback sees it. So uWS accepts frames well past
 * max_batch_bytes, and the message handler answers those with an error frame and 1009 (docs/guarantees.md):
 * up to 4× max_batch_bytes, or max_batch_bytes + 16 MiB when that is more. Beyond that the
 * connection is cut (the bound on what one connection can make the hub buffer).
 */
export function payloadLimitBytes(maxBatchBytes: number): number {
  return Math.min(2 ** 31 - 1, Math.max(4 * maxBatchBytes, maxBatchBytes + 16 * 1024 * 1024));
}

/** Frees a frame's bytes in the budget. Made out here so it holds nothing of the frame until the ack. */
function releaser(budget: InflightBudget, size: number): () => void {
  return () => budget.release(size);
}

export function registerIngestRoutes(app: TemplatedApp, ctx: HubContext, budget: InflightBudget, queued: QueuedBudget): void {
  const { config, metrics, log } = ctx;
  const sockets = new Set<Socket>();
  /** Label bytes → stream, shared by every connection (fast-batch.ts). */
  const labels = new LabelCache();
  /** Connections with frames waiting for room in the budget, oldest first. */
  const waiting = new Set<Socket>();
  /** What one connection may have received and not yet had acked: its announced window. */
  const connectionCapBytes = config.maxInflight * config.maxBatchBytes;

  const sendFrame = (ws: Socket, frame: HubFrame): void => {
    const conn = ws.getUserData();
    if (conn.closed) return;
    ws.cork(() => ws.send(encodeFrame(frame), true));
  };

  const fail = (ws: Socket, code: string, message: string, closeCode: number): void => {
    const conn = ws.getUserData();
    if (conn.closed) return;
    metrics.protocolErrors.inc({ code });
    log.info({ shipper: conn.shipper, remote: conn.remote, code }, `ingest connection closed: ${message}`);
    ws.cork(() => {
      ws.send(encodeFrame({ type: 'error', code, message }), true);
      ws.end(closeCode, message.slice(0, 120));
    });
    conn.closed = true;
  };

  const onHello = (ws: Socket, conn: IngestConnection, frame: HelloFrame): void => {
    if (conn.shipper !== undefined) return fail(ws, ProtocolError.duplicateHello, 'hello was already sent on this connection', CloseCode.policy);
    if (typeof frame.shipper !== 'string' || frame.shipper === '' || frame.shipper.length > MAX_SHIPPER_ID_CHARS) {
      return fail(ws, ProtocolError.badHello, `hello needs "shipper": a stable id of 1..${MAX_SHIPPER_ID_CHARS} characters`, CloseCode.policy);
    }
    if (frame.version !== undefined && frame.version !== PROTOCOL_VERSION) {
      return fail(ws, ProtocolError.unsupportedVersion, `protocol version ${String(frame.version)} is not supported; this hub speaks version ${PROTOCOL_VERSION}`, CloseCode.policy);
    }
    conn.shipper = frame.shipper;
    conn.dedupeKey = dedupeKey(conn.principal, frame.shipper);
    conn.ackedAtHello = ackedFor(ctx.store, conn.dedupeKey, frame.shipper);
    if (typeof frame.host === 'string' && frame.host !== '') conn.host = frame.host;
    sendFrame(ws, {
      type: 'welcome',
      hub: ctx.store.hubId,
      acked: conn.ackedAtHello,
      max_batch_bytes: config.maxBatchBytes,
      max_inflight: config.maxInflight,
    });
  };

  /** The conversation's rules for a batch (docs/protocol.md); `store` runs only when they allow it. */
  const onBatch = (ws: Socket, conn: IngestConnection, seq: number, hasRecords: boolean, store: (origin: BatchOrigin) => Promise<StoreOutcome>): Promise<void> | void => {
    if (conn.shipper === undefined) return fail(ws, ProtocolError.helloRequired, 'send hello before the first batch', CloseCode.policy);
    if (!Number.isSafeInteger(seq) || seq <= 0 || !hasRecords) {
      return fail(ws, ProtocolError.badBatch, 'a batch needs "seq" (a positive integer) and "records" (an array)', CloseCode.policy);
    }
    const floor = Math.max(conn.lastSeq, conn.ackedAtHello);
    if (seq > floor + MAX_SEQ_JUMP) {
      return fail(ws, ProtocolError.seqJump, `batch seq ${seq} jumps more than 2^42 past ${floor}, the highest seen for this shipper; number batches 1, 2, 3…`, CloseCode.policy);
    }
    if (conn.inflight >= config.maxInflight) {
      return fail(ws, ProtocolError.inflightExceeded, `more than max_inflight=${config.maxInflight} unacked batches`, CloseCode.policy);
    }
    // A seq stored before (resent on this connection or after a reconnect) is acked again.
    if (seq <= conn.ackedAtHello) {
      metrics.ingestDuplicateBatches.inc();
      return sendFrame(ws, { type: 'ack', seq, stored: 0, rejected: [], duplicate: true } as HubFrame);
    }
    conn.lastSeq = Math.max(conn.lastSeq, seq);
    conn.inflight++;
    return store({ shipper: conn.dedupeKey!, seq }).then(
      (outcome) => {
        conn.inflight--;
        const ack: HubFrame & { duplicate?: boolean; rejected_count?: number } = { type: 'ack', seq, stored: outcome.stored, rejected: outcome.rejected };
        if (outcome.duplicate) ack.duplicate = true;
        if (outcome.rejectedCount > outcome.rejected.length) ack.rejected_count = outcome.rejectedCount; // list capped
        sendFrame(ws, ack);
      },
      (err: unknown) => {
        conn.inflight--;
        log.error({ err, shipper: conn.shipper, seq }, 'could not store a batch; the shipper will resend it');
        fail(ws, ProtocolError.storeUnavailable, `the hub could not store batch ${seq}: ${toHubError(err).message}`, CloseCode.internal);
      },
    );
  };

  /** Decodes and handles one frame; its bytes count against the budget until it is answered. */
  const processFrame = (ws: Socket, conn: IngestConnection, bytes: Uint8Array): void => {
    // Read the size now: uWS detaches `message` after its callback, and its byteLength becomes 0.
    const size = bytes.byteLength;
    budget.take(size);
    const release = releaser(budget, size);
    let pending: Promise<void> | void = undefined;
    // Shipper batches in the usual shape are read in place (fast-batch.ts); anything else is decoded.
    const scanned = scanBatch(bytes);
    if (scanned) {
      pending = onBatch(ws, conn, scanned.seq, true, (origin) => storeScannedBatch(ctx, labels, conn.principal, bytes, scanned, origin, conn.host));
      if (pending) void pending.finally(release);
      else release();
      return;
    }
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      const close = decoded.code === 'not_a_map' || decoded.code === 'unknown_type' ? CloseCode.policy : CloseCode.invalidPayload;
      fail(ws, ProtocolError.malformed, decoded.message, close);
      return release();
    }
    const frame = decoded.frame;
    if (frame.type === 'hello') onHello(ws, conn, frame);
    else if (frame.type === 'batch') {
      const { seq, records } = frame as BatchFrame;
      pending = onBatch(ws, conn, seq, Array.isArray(records), (origin) => storeBatch(ctx, 'ws', conn.principal, records, origin, conn.host));
    } else fail(ws, ProtocolError.unknownFrame, `unexpected frame type "${String(frame.type).slice(0, 40)}"; shippers send hello and batch`, CloseCode.policy);
    if (pending) void pending.finally(release);
    else release();
  };

  /** Hands waiting frames to processFrame, one connection's frame at a time, while they fit. */
  let draining = false;
  const drain = (): void => {
    if (draining) return;
    draining = true;
    try {
      for (let progressed = true; progressed && waiting.size > 0; ) {
        progressed = false;
        for (const ws of [...waiting]) {
          const conn = ws.getUserData();
          const next = conn.queue[0];
          if (conn.closed || !next) {
            waiting.delete(ws);
            continue;
          }
          if (!budget.fits(next.byteLength)) return;
          conn.queue.shift();
          conn.queuedBytes -= next.byteLength;
          queued.release(next.byteLength);
          if (conn.queue.length === 0) waiting.delete(ws);
          processFrame(ws, conn, next);
          progressed = true;
        }
      }
    } finally {
      draining = false;
    }
  };
  budget.onRelease(drain);

  app.ws<IngestConnection>('/v1/ingest', {
    maxPayloadLength: payloadLimitBytes(config.maxBatchBytes),
    maxBackpressure: 4 * 1024 * 1024,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) =>
      upgradeAuthenticated(res, req, context, ctx.tokens, 'ingest', (principal) => newConnection(principal, Buffer.from(res.getRemoteAddressAsText()).toString())),
    open: (ws) => {
      sockets.add(ws);
      metrics.ingestConnections.inc();
    },
    message: (ws, message, isBinary) => {
      const conn = ws.getUserData();
      if (conn.closed) return;
      metrics.ingestBytes.inc({ path: 'ws' }, message.byteLength);
      if (!isBinary) return fail(ws, ProtocolError.notBinary, 'frames must be binary MessagePack, not text', CloseCode.unsupportedData);
      if (message.byteLength > config.maxBatchBytes) {
        return fail(ws, ProtocolError.tooBig, `frame of ${message.byteLength} bytes is over max_batch_bytes=${config.maxBatchBytes}; send smaller batches`, CloseCode.tooBig);
      }
      if (conn.queue.length === 0 && budget.fits(message.byteLength)) {
        // uWS owns `message` only during this callback; decoding copies what we keep.
        return processFrame(ws, conn, new Uint8Array(message));
      }
      if (conn.queue.length >= config.maxInflight + 1 || conn.queuedBytes + message.byteLength > connectionCapBytes) {
        return fail(ws, ProtocolError.inflightExceeded, `more than max_inflight=${config.maxInflight} batches (${connectionCapBytes} bytes) sent and not yet acked; wait for acks`, CloseCode.policy);
      }
      if (!queued.tryTake(message.byteLength)) {
        // Every connection together holds --max-queued-bytes undecoded: the hub's memory bound.
        // Nothing of this frame was acked, so the shipper resends it after a backoff.
        return fail(ws, ProtocolError.hubBusy, `the hub holds ${queued.limitBytes} bytes of batches waiting to be stored (--max-queued-bytes); reconnect after a backoff and resend what was not acked`, CloseCode.tryAgainLater);
      }
      // Over the global budget: keep the raw bytes (a copy), decode when acks free room.
      conn.queue.push(Buffer.from(new Uint8Array(message)));
      conn.queuedBytes += message.byteLength;
      waiting.add(ws);
    },
    close: (ws) => {
      const conn = ws.getUserData();
      conn.closed = true;
      queued.release(conn.queuedBytes);
      conn.queue.length = 0;
      conn.queuedBytes = 0;
      waiting.delete(ws);
      sockets.delete(ws);
      metrics.ingestConnections.dec();
    },
  });

  ctx.onClose(() => {
    for (const ws of sockets) {
      ws.getUserData().closed = true;
      ws.end(CloseCode.goingAway, 'hub shutting down');
    }
  });
}
