/**
 * Batches → the spool: each batch gets the next seq, is encoded once as the frame that will be
 * sent, and is appended to the spool (durably) before the sender may see it. A frame over the
 * hub's `max_batch_bytes` is split instead (the hub would refuse it with 1009 and we would
 * retry it forever). Appends are written in call order (spool.ts), so seqs reach the spool in
 * order.
 */
import { encodeFrame } from '../hub/protocol/index.js';
import { splitBatch, type Batch } from './batch.js';
import type { ReadGate } from './backpressure.js';
import type { Spool } from './spool.js';

export interface BatchSpoolerEvents {
  /** A batch is durable in the spool: it may be sent. */
  onSpooled(): void;
  onError(err: NodeJS.ErrnoException): void;
}

export class BatchSpooler {
  /** Records handed to the spool so far. */
  recordsSpooled = 0;
  /** The hub's frame limit from its welcome (0 = not known yet). */
  hubMaxBatchBytes = 0;
  private chain: Promise<unknown> = Promise.resolve();

  /** `seq`: the highest seq assigned so far (checkpoint and spool from the last run). */
  constructor(private readonly spool: Spool, private readonly gate: ReadGate, public seq: number, private readonly ev: BatchSpoolerEvents) {}

  add(b: Batch): void {
    const s = this.seq + 1;
    const packed = encodeFrame({ type: 'batch', seq: s, records: b.records as unknown as Record<string, unknown>[] });
    if (this.hubMaxBatchBytes > 0 && packed.length > this.hubMaxBatchBytes && b.records.length > 1) {
      const [x, y] = splitBatch(b);
      this.add(x);
      this.add(y);
      return;
    }
    this.seq = s;
    // msgpackr returns a view into a shared target buffer up to 4× the frame's size; a frame kept
    // (pending, spooled in memory) would pin that whole buffer, so keep an exact-size copy.
    const frame = Buffer.allocUnsafeSlow(packed.length);
    packed.copy(frame);
    this.gate.appendStarted(frame.length);
    this.recordsSpooled += b.records.length;
    this.chain = this.spool.append(s, frame, b.positions, b.records.length).then(
      () => {
        this.gate.appendDone(frame.length);
        this.ev.onSpooled();
      },
      (err: NodeJS.ErrnoException) => this.ev.onError(err),
    );
  }

  /** Resolves once every batch added so far is durable in the spool (or failed). */
  settled(): Promise<unknown> {
    return this.chain;
  }
}
