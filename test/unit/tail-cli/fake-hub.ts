/**
 * A tiny test-only stand-in for the hub's read side: `GET /logs` (order, limit, cursor, service)
 * and `/v1/tail` (auth, after= replay, live records, dropped frames, 1008 on a "bad" regex).
 * It lets the client's paging and reconnect logic be tested deterministically, including
 * connections cut at chosen moments. Integration tests use the real hub.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { encodeFrame, toJsonRecord } from '../../../hub/protocol/index.js';
import type { WireRecord } from '../../../hub/protocol/index.js';

export interface FakeHub {
  url: string;
  port: number;
  token: string;
  records: WireRecord[];
  /** Every /v1/tail URL requested, in order. */
  tailUrls: URL[];
  /** Every GET /logs URL requested. */
  logUrls: URL[];
  clients(): number;
  append(...r: Array<Partial<WireRecord>>): WireRecord[];
  sendDropped(count: number): void;
  /** Cuts every live connection without a close frame. */
  dropConnections(): void;
  /** Runs once on the next /v1/tail upgrade, before the client is subscribed. */
  beforeNextUpgrade(fn: () => void): void;
  close(): Promise<void>;
}

let seq = 0;

export function makeRecord(over: Partial<WireRecord> = {}): WireRecord {
  seq += 1;
  return { id: `id${String(seq).padStart(8, '0')}`, ts: 1_743_508_800_000 + seq, rts: 1_743_508_800_000 + seq, service: 'svc', severity: 'INFO', message: `m${seq}`, host: 'h1', ...over };
}

export async function startFakeHub(opts: { port?: number; token?: string; records?: WireRecord[]; replayFromAfterInclusive?: boolean; answerPings?: boolean } = {}): Promise<FakeHub> {
  const token = opts.token ?? 'secret';
  const records: WireRecord[] = opts.records ?? [];
  const tailUrls: URL[] = [];
  const logUrls: URL[] = [];
  const live = new Set<{ ws: WebSocket; services: string[] }>();
  const sockets = new Set<Socket>();
  let beforeUpgrade: (() => void) | undefined;

  const authed = (req: IncomingMessage): boolean => req.headers.authorization === `Bearer ${token}`;
  const matches = (r: WireRecord, services: string[]): boolean => services.length === 0 || services.includes(r.service);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/logs') return send(404, { error: 'not found', code: 'HUB_ERR_NOT_FOUND' });
    logUrls.push(url);
    if (!authed(req)) return send(401, { error: 'unknown token', code: 'HUB_ERR_UNAUTHORIZED' });
    if (url.searchParams.get('regex') === '(a+)+') return send(400, { error: 'regex rejected: nested repetition', code: 'HUB_ERR_BAD_PARAM', param: 'regex' });
    const services = url.searchParams.getAll('service');
    const order = url.searchParams.get('order') ?? 'desc';
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const cursor = url.searchParams.get('cursor');
    let rows = records.filter((r) => matches(r, services));
    if (order === 'desc') rows = rows.slice().reverse();
    if (cursor) rows = rows.filter((r) => (order === 'asc' ? r.id > cursor : r.id < cursor));
    const page = rows.slice(0, limit);
    const more = rows.length > limit;
    send(200, { count: page.length, logs: page.map(toJsonRecord), next_cursor: more ? page[page.length - 1].id : null });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const wss = new WebSocketServer({ noServer: true, autoPong: opts.answerPings ?? true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    tailUrls.push(url);
    if (url.pathname !== '/v1/tail') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (!authed(req)) {
      const body = JSON.stringify({ error: 'unknown token', code: 'HUB_ERR_UNAUTHORIZED' });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    const hook = beforeUpgrade;
    beforeUpgrade = undefined;
    hook?.();
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (url.searchParams.get('regex') === '(a+)+') {
        ws.close(1008, 'regex rejected: nested repetition');
        return;
      }
      const services = url.searchParams.getAll('service');
      const after = url.searchParams.get('after');
      const replay = after === null ? [] : records.filter((r) => (opts.replayFromAfterInclusive ? r.id >= after : r.id > after) && matches(r, services));
      if (replay.length > 0) ws.send(encodeFrame({ type: 'records', records: replay }));
      const client = { ws, services };
      live.add(client);
      ws.on('close', () => live.delete(client));
    });
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    records,
    tailUrls,
    logUrls,
    clients: () => live.size,
    append(...over) {
      const added = over.map((o) => makeRecord(o));
      records.push(...added);
      for (const c of live) {
        const mine = added.filter((r) => matches(r, c.services));
        if (mine.length > 0) c.ws.send(encodeFrame({ type: 'records', records: mine }));
      }
      return added;
    },
    sendDropped(count) {
      for (const c of live) c.ws.send(encodeFrame({ type: 'dropped', count }));
    },
    beforeNextUpgrade(fn) {
      beforeUpgrade = fn;
    },
    dropConnections() {
      for (const c of live) c.ws.terminate();
    },
    async close() {
      for (const c of live) c.ws.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
