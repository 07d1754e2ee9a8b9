/**
 * Shared by the live-tail benchmarks (bus_to_tail_fanout.ts, slow_tail_consumer.ts); not part of
 * the test suite. A hub as its own process, a shipper-protocol load generator with an in-flight
 * window, and msgpack live-tail clients that stamp the arrival time of every frame.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame, type WireRecord } from '../../hub/protocol/index.js';
import { generateRecords, type BenchRecord } from './workload.js';

export { startHubProc, type HubProc } from './hub-process.js';

/** A shipper-protocol connection: `send` queues a batch; at most max_inflight unacked. */
export class Shipper {
  private ws: WebSocket;
  private queue: Buffer[] = [];
  private inflight = 0;
  private window = 1;
  private seq = 0;
  acked = 0;
  /** Per-batch time from handing the frame to the socket to its ack (ns). */
  onAckLatency?: (ns: bigint) => void;
  private sentAt: bigint[] = [];
  private waiters: Array<() => void> = [];
  ready: Promise<void>;

  constructor(wsUrl: string, token: string, name: string) {
    this.ws = new WebSocket(`${wsUrl}/v1/ingest`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    this.ready = new Promise((resolve, reject) => {
      this.ws.on('open', () => this.ws.send(encodeFrame({ type: 'hello', shipper: `${name}-${process.pid}-${Date.now()}`, host: name, version: 1 })));
      this.ws.on('error', reject);
      this.ws.on('message', (data: Buffer) => {
        const r = decodeFrame(data);
        if (!r.ok) return;
        if (r.frame.type === 'welcome') {
          this.window = r.frame.max_inflight;
          resolve();
        } else if (r.frame.type === 'ack') {
          this.inflight--;
          this.acked++;
          const t = this.sentAt.shift();
          if (t !== undefined) this.onAckLatency?.(process.hrtime.bigint() - t);
          this.pump();
          if (this.inflight === 0 && this.queue.length === 0) for (const w of this.waiters.splice(0)) w();
        }
      });
    });
  }

  send(records: unknown[]): void {
    this.queue.push(encodeFrame({ type: 'batch', seq: ++this.seq, records: records as never }));
    this.pump();
  }

  /** Batches waiting for a slot (load the hub could not take yet). */
  backlog(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.inflight < this.window && this.queue.length > 0) {
      this.inflight++;
      this.sentAt.push(process.hrtime.bigint());
      this.ws.send(this.queue.shift()!);
    }
  }

  idle(): Promise<void> {
    if (this.inflight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  close(): void {
    this.ws.close();
  }
}

export interface TailConn {
  ws: WebSocket;
  records: number;
  dropped: number;
  close(): void;
}

/** A msgpack tail; `onRecords` gets each records frame with its arrival time (hrtime ns). */
export function openTailConn(wsUrl: string, token: string, params: string, onRecords?: (records: WireRecord[], nowNs: bigint) => void): Promise<TailConn> {
  const ws = new WebSocket(`${wsUrl}/v1/tail?format=msgpack&${params}`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  const conn: TailConn = { ws, records: 0, dropped: 0, close: () => ws.close() };
  ws.on('message', (data: Buffer) => {
    const now = process.hrtime.bigint();
    const r = decodeFrame(data);
    if (!r.ok) return;
    if (r.frame.type === 'records') {
      conn.records += r.frame.records.length;
      onRecords?.(r.frame.records, now);
    } else if (r.frame.type === 'dropped') conn.dropped += r.frame.count;
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(conn));
    ws.once('error', reject);
  });
}

/** A pool of seeded records to cycle through (generation is not part of what is measured). */
export function recordPool(n: number, seed: number): BenchRecord[] {
  return [...generateRecords(n, seed)];
}
