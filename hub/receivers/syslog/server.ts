/**
 * syslog receivers (docs/receivers.md "syslog"): TCP on `--syslog-tcp PORT` (TLS when the hub
 * has --tls-cert/--tls-key) and UDP on `--syslog-udp PORT`. syslog has no acknowledgement, so
 * records are stored as they come: per TCP read, every complete message goes in one append and
 * the socket is paused until it is durable (backpressure). A framing error or a frame over
 * --max-body-bytes closes that connection. UDP cannot push back: past MAX_UDP_QUEUED pending
 * datagrams the excess is dropped and counted (`reason="overloaded"`).
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import type { HubContext } from '../../context.js';
import type { Principal } from '../../auth/tokens.js';
import { receive, countRefusedRequest } from '../receive.js';
import { splitFrames, type Framing } from './framing.js';
import { syslogRecord } from './parse.js';

export const MAX_UDP_QUEUED = 50_000;
/** A connection holding a partial frame this long without progress is closed. */
export const IDLE_PARTIAL_MS = 30_000;

/** syslog carries no credentials: its records may name any service (limit who reaches the port). */
const SYSLOG_PRINCIPAL: Principal = { name: 'syslog', key: 'receiver:syslog', scopes: new Set(['ingest']), services: '*' };

const decodeText = (b: Buffer) => b.toString('utf8'); // invalid bytes become U+FFFD: syslog is bytes

export interface SocketReceiver {
  port: number;
  close(): Promise<void>;
}

function serveTcp(ctx: HubContext, socket: Socket): void {
  let buf: Buffer = Buffer.alloc(0);
  let framing: Framing | undefined;
  let closed = false;
  const fail = (reason: string, message: string) => {
    if (closed) return;
    closed = true;
    countRefusedRequest(ctx, 'syslog', reason);
    ctx.log.info({ remote: socket.remoteAddress, reason }, `syslog connection closed: ${message}`);
    socket.destroy();
  };
  socket.setTimeout(IDLE_PARTIAL_MS, () => {
    if (buf.length > 0) fail('incomplete_message', `a partial frame sat unfinished for ${IDLE_PARTIAL_MS} ms`);
  });
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const split = splitFrames(buf, ctx.config.maxBodyBytes, framing);
    framing = split.framing;
    buf = split.rest;
    const records = split.messages.map((m) => syslogRecord(decodeText(m), Date.now()));
    // The good messages before a framing error are still stored; then the connection closes.
    if (split.error) fail('bad_frame', split.error);
    if (records.length === 0) return;
    socket.pause();
    receive(ctx, 'syslog', SYSLOG_PRINCIPAL, records).then(
      () => { if (!closed) socket.resume(); },
      (err: unknown) => {
        ctx.log.warn({ err }, 'syslog records could not be stored');
        fail('store_unavailable', 'the store cannot take writes');
      },
    );
  });
  socket.on('error', () => undefined);
  socket.on('close', () => { closed = true; });
}

function listenTcp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

export async function startSyslogTcp(ctx: HubContext, host: string, port: number): Promise<SocketReceiver> {
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveTcp(ctx, socket);
  };
  const { tlsCert, tlsKey } = ctx.config;
  const server = tlsCert && tlsKey
    ? createTlsServer({ cert: readFileSync(tlsCert), key: readFileSync(tlsKey) }, onConnection)
    : createTcpServer(onConnection);
  if (tlsCert) server.on('tlsClientError', () => undefined);
  const actual = await listenTcp(server, host, port);
  ctx.log.info({ port: actual, tls: Boolean(tlsCert) }, 'syslog TCP receiver listening');
  return {
    port: actual,
    close: () => new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    }),
  };
}

export async function startSyslogUdp(ctx: HubContext, host: string, port: number): Promise<SocketReceiver> {
  const udp: UdpSocket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  let queued: Buffer[] = [];
  let storing = false;
  const flush = async () => {
    if (storing || queued.length === 0) return;
    storing = true;
    const batch = queued;
    queued = [];
    const now = Date.now();
    try {
      await receive(ctx, 'syslog', SYSLOG_PRINCIPAL, batch.map((d) => syslogRecord(decodeText(d).replace(/[\r\n\0]+$/, ''), now)));
    } catch (err) {
      countRefusedRequest(ctx, 'syslog', 'store_unavailable');
      ctx.log.warn({ err, dropped: batch.length }, 'syslog UDP datagrams could not be stored');
    } finally {
      storing = false;
      if (queued.length > 0) setImmediate(() => void flush());
    }
  };
  udp.on('message', (msg) => {
    if (queued.length >= MAX_UDP_QUEUED) {
      countRefusedRequest(ctx, 'syslog', 'overloaded');
      return;
    }
    queued.push(msg);
    if (queued.length === 1) setImmediate(() => void flush());
  });
  udp.on('error', (err) => ctx.log.warn({ err }, 'syslog UDP socket error'));
  const actual = await new Promise<number>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => {
      udp.off('error', reject);
      resolve(udp.address().port);
    });
  });
  ctx.log.info({ port: actual }, 'syslog UDP receiver listening');
  return { port: actual, close: () => new Promise<void>((done) => udp.close(() => done())) };
}
