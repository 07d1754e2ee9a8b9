/**
 * Groups records into batches bounded by count, estimated encoded bytes and time since the
 * first record. Alongside the records it keeps, per file, the position just past the last line
 * in the batch: the batch's positions, which become the checkpoint once the hub acks it.
 *
 * The byte estimate uses the source line length (which covers message and JSON fields) plus
 * the labels, with headroom for MessagePack overhead, so an encoded batch stays under the bound.
 */
import type { FilePosition } from './checkpoint.js';
import type { FileIdent } from './tail.js';
import type { ShipRecord } from './parse.js';

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
  intervalMs: number;
}

export interface Batch {
  records: ShipRecord[];
  positions: FilePosition[];
  bytes: number;
}

export interface Batcher {
  /** Adds a record; `ident` + `endOffset` locate it in its file (omit for simulated input). */
  add(record: ShipRecord, sizeHint: number, ident?: FileIdent, endOffset?: number): void;
  /** Emits the current batch now, if any. */
  flush(): void;
  /** Lowers (or raises) the byte bound, e.g. to the hub's `max_batch_bytes`. */
  setMaxBytes(n: number): void;
  readonly size: number;
  close(): void;
}

/** Fixed per-record overhead: map header, keys, ts, severity. */
const RECORD_OVERHEAD = 64;

export function createBatcher(limits: BatchLimits, onBatch: (b: Batch) => void): Batcher {
  let records: ShipRecord[] = [];
  let positions = new Map<string, { ident: FileIdent; offset: number }>();
  let bytes = 0;
  let maxBytes = limits.maxBytes;
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (records.length === 0) return;
    const b: Batch = {
      records,
      positions: [...positions.values()].map((p) => ({ ...p.ident, offset: p.offset })),
      bytes,
    };
    records = [];
    positions = new Map();
    bytes = 0;
    onBatch(b);
  }

  return {
    add(record, sizeHint, ident, endOffset) {
      const size = RECORD_OVERHEAD + sizeHint + record.host.length + record.service.length + (record.file?.length ?? 0);
      if (records.length > 0 && bytes + size > maxBytes) flush();
      records.push(record);
      bytes += size;
      if (ident && endOffset !== undefined) {
        const p = positions.get(ident.key);
        if (p) {
          p.ident = ident;
          p.offset = endOffset;
        } else positions.set(ident.key, { ident, offset: endOffset });
      }
      if (records.length >= limits.maxRecords || bytes >= maxBytes) flush();
      else if (!timer) timer = setTimeout(flush, limits.intervalMs);
    },
    flush,
    setMaxBytes(n) {
      maxBytes = Math.max(1024, Math.min(limits.maxBytes, n));
    },
    get size() {
      return records.length;
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
