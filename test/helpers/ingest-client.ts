/** A minimal shipper-protocol client for tests: send frames, await frames and the close. */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, type Frame, type HubFrame } from '../../hub/protocol/index.js';

export interface IngestClient {
  ws: WebSocket;
  send(frame: Frame | Record<string, unknown>): void;
  sendRaw(data: Buffer | string, binary?: boolean): void;
  /** The next frame from the hub (in order). */
  next(timeoutMs?: number): Promise<HubFrame>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export type UpgradeRefusal = { status: number; body: string };

export function connectIngest(wsUrl: string, token: string | undefined, scheme = 'Bearer'): Promise<IngestClient> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `${scheme} ${token}` };
  const ws = new WebSocket(`${wsUrl}/v1/ingest`, { headers });
  const queue: HubFrame[] = [];
  const waiters: Array<(f: HubFrame) => void> = [];
  ws.on('message', (data: Buffer) => {
    const r = decodeFrame(data);
    if (!r.ok) throw new Error(`hub sent an undecodable frame: ${r.message}`);
    const w = waiters.shift();
    if (w) w(r.frame as HubFrame);
    else queue.push(r.frame as HubFrame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d; });
      res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
    ws.once('open', () => resolve({
      ws,
      send: (frame) => ws.send(encodeFrame(frame as Frame)),
      sendRaw: (data, binary = true) => ws.send(data, { binary }),
      next: (timeoutMs = 10_000) => {
        const f = queue.shift();
        if (f) return Promise.resolve(f);
        return new Promise((res, rej) => {
          const t = setTimeout(() => rej(new Error('no frame from the hub in time')), timeoutMs);
          waiters.push((frame) => {
            clearTimeout(t);
            res(frame);
          });
        });
      },
      closed,
      close: () => ws.close(),
    }));
  });
}

/** hello → welcome, returning the welcome frame. */
export async function handshake(c: IngestClient, shipper: string, host = 'test-host'): Promise<Extract<HubFrame, { type: 'welcome' }>> {
  c.send({ type: 'hello', shipper, host, version: 1 });
  const f = await c.next();
  if (f.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(f)}`);
  return f;
}
