/**
 * Fluent Forward receiver on `--forward PORT` (docs/receivers.md "Fluent Forward"): Fluentd,
 * Fluent Bit's forward output, Docker's fluentd log driver, fluent-logger libraries.
 * Messages on one connection are handled in order; while one is being stored the socket is
 * paused (backpressure, bounded memory), and `{ack: chunk}` is written only once the records
 * are durable. A malformed message, a message over --max-body-bytes, or a partial message left
 * hanging for IDLE_PARTIAL_MS closes the connection (the protocol has no error reply); an
 * unusable store closes it without an ack, so the client resends.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { HubContext } from '../../context.js';
import type { Principal } from '../../auth/tokens.js';
import { encode } from '../../protocol/codec.js';
import { FORWARD_SERVICE_KEYS, mapRecord } from '../mapping.js';
import { receive, countRefusedRequest } from '../receive.js';
import { MsgpackSyntaxError, valueEnd } from './frame.js';
import { decodeForward, forwardUnpackr, ForwardError } from './decode.js';
import { answerPing, startHandshake, type Handshake } from './handshake.js';

/** A connection holding part of a message this long without progress is closed. */
export const IDLE_PARTIAL_MS = 30_000;

/** Forward carries no token: its records may name any service (limit who reaches the port, or use the shared key). */
const FORWARD_PRINCIPAL: Principal = { name: 'forward', key: 'receiver:forward', scopes: new Set(['ingest']), services: '*' };

export interface ForwardReceiver {
  port: number;
  close(): Promise<void>;
}

export interface ForwardOptions {
  host: string;
  port: number;
  sharedKey?: string;
}

function serveConnection(ctx: HubContext, socket: Socket, opts: ForwardOptions): void {
  const limit = ctx.config.maxBodyBytes;
  let buf: Buffer = Buffer.alloc(0);
  let busy = false;
  let closed = false;
  let handshake: Handshake | undefined;
  if (opts.sharedKey) {
    handshake = startHandshake();
    socket.write(encode(handshake.helo));
  }
  const fail = (reason: string, message: string) => {
    if (closed) return;
    closed = true;
    countRefusedRequest(ctx, 'forward', reason);
    ctx.log.info({ remote: socket.remoteAddress, reason }, `forward connection closed: ${message}`);
    socket.destroy();
  };

  const handle = async (value: unknown): Promise<void> => {
    if (handshake) {
      const r = answerPing(value, handshake, opts.sharedKey!);
      socket.write(encode(r.pong));
      if (!r.ok) return fail('unauthorized', r.reason);
      handshake = undefined;
      return;
    }
    const msg = decodeForward(value, limit);
    if (msg.entries.length > 0) {
      const records = msg.entries.map((e) => mapRecord({ doc: e.record, serviceKeys: FORWARD_SERVICE_KEYS, fallbackService: msg.tag, ts: e.timeMs }));
      await receive(ctx, 'forward', FORWARD_PRINCIPAL, records);
    }
    if (msg.chunk !== undefined && !closed) socket.write(encode({ ack: msg.chunk }));
  };

  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      while (!closed) {
        const end = valueEnd(buf, 0);
        if (end < 0) {
          if (buf.length > limit) fail('too_large', `a message is over the ${limit}-byte limit (--max-body-bytes)`);
          break;
        }
        const value = forwardUnpackr.unpack(buf.subarray(0, end));
        buf = buf.subarray(end);
        socket.pause();
        await handle(value);
        socket.resume();
      }
    } catch (err) {
      if (err instanceof ForwardError || err instanceof MsgpackSyntaxError) fail('bad_message', err.message);
      else if ((err as { code?: string }).code === 'HUB_ERR_STORE_UNAVAILABLE') fail('store_unavailable', 'the store cannot take writes; the client will resend');
      else if (err instanceof Error && /MessagePack|Unexpected/i.test(err.message)) fail('bad_message', err.message);
      else {
        ctx.log.error({ err }, 'forward message failed');
        fail('internal', 'internal error');
      }
    } finally {
      busy = false;
    }
  };

  socket.setTimeout(IDLE_PARTIAL_MS, () => {
    if (buf.length > 0) fail('incomplete_message', `a partial message sat unfinished for ${IDLE_PARTIAL_MS} ms`);
  });
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    void pump();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
}

export function startForwardReceiver(ctx: HubContext, opts: ForwardOptions): Promise<ForwardReceiver> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(ctx, socket, opts);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const port = (server.address() as { port: number }).port;
      ctx.log.info({ port }, 'fluent forward receiver listening');
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
