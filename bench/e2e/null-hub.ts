/**
 * An ack-only ingest server for the shipper benchmarks (not part of the test suite): speaks the
 * hub's side of docs/protocol.md (hello → welcome, batch → ack) and stores nothing, so what is measured
 * is the shipper alone. `onRecords` sees each batch's records as they arrive (for latency).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { decodeFrame, encodeFrame } from '../../hub/protocol/index.js';

export interface NullHub {
  url: string;
  /** Records acked so far. */
  readonly stored: number;
  close(): Promise<void>;
}

export async function startNullHub(onRecords: (records: Array<{ message: string }>) => void = () => undefined): Promise<NullHub> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/v1/ingest', perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let stored = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const r = decodeFrame(data);
      if (!r.ok) return;
      const f = r.frame as { type: string; seq?: number; records?: Array<{ message: string }> };
      if (f.type === 'hello') ws.send(encodeFrame({ type: 'welcome', hub: 'null', acked: 0, max_batch_bytes: 8 * 1024 * 1024, max_inflight: 8 }));
      else if (f.type === 'batch') {
        stored += f.records!.length;
        ws.send(encodeFrame({ type: 'ack', seq: f.seq!, stored: f.records!.length, rejected: [] }));
        onRecords(f.records!);
      }
    });
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    get stored() {
      return stored;
    },
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}
