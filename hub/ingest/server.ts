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
import { storeBatch } from './store-batch.js';
import { MAX_SEQ_JUMP, ackedFor, dedupeKey } from './dedupe.js';

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

export function registerIngestRoutes(app: TemplatedApp, ctx: HubContext): void {
  const { config, metrics, log } = ctx;
  const sockets = new Set<Socket>();

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

  const onBatch = (ws: Socket, conn: IngestConnection, frame: BatchFrame): void => {
    if (conn.shipper === undefined) return fail(ws, ProtocolError.helloRequired, 'send hello before the first batch', CloseCode.policy);
    const { seq, records } = frame;
    if (!Number.isSafeInteger(seq) || seq <= 0 || !Array.isArray(records)) {
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
    storeBatch(ctx, 'ws', conn.principal, records, { shipper: conn.dedupeKey!, seq }, conn.host).then(
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
      // uWS owns `message` only during this callback; decoding copies what we keep.
      const decoded = decodeFrame(new Uint8Array(message));
      if (!decoded.ok) {
        const close = decoded.code === 'not_a_map' || decoded.code === 'unknown_type' ? CloseCode.policy : CloseCode.invalidPayload;
        return fail(ws, ProtocolError.malformed, decoded.message, close);
      }
      const frame = decoded.frame;
      if (frame.type === 'hello') return onHello(ws, conn, frame);
      if (frame.type === 'batch') return onBatch(ws, conn, frame);
      return fail(ws, ProtocolError.unknownFrame, `unexpected frame type "${String(frame.type).slice(0, 40)}"; shippers send hello and batch`, CloseCode.policy);
    },
    close: (ws) => {
      ws.getUserData().closed = true;
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
