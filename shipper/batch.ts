/**
 * Groups records into batches bounded by count, estimated encoded bytes and time since the
 * first record. Alongside the records it keeps, per file, the position just past the last line
 * in the batch: the batch's positions, which become the checkpoint once the hub acks it.
 *
 * The byte estimate uses the source line length (which covers message and JSON fields) plus
 * the labels, with headroom for MessagePack overhead, so an encoded batch usually stays under
 * the bound; the pipeline checks the encoded size and splits (splitBatch) when it does not.
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
  /** Per record: where in its file it ends (undefined for simulated input); lets a batch be split. */
  marks: Array<Mark | undefined>;
}

export interface Mark {
  ident: FileIdent;
  offset: number;
}

/** Positions covering `marks`: per file, the last record's end (the ident as of that record). */
export function positionsOf(marks: ReadonlyArray<Mark | undefined>): FilePosition[] {
  const byKey = new Map<string, Mark>();
  for (const m of marks) if (m) byKey.set(m.ident.key, m);
  return [...byKey.values()].map((m) => ({ ...m.ident, offset: m.offset }));
}

/**
 * Splits a batch in two halves, each with its own positions (for a frame over the hub's
 * `max_batch_bytes`: the estimate can fall short, e.g. on non-ASCII text). The first half's
 * positions never pass a record of the second, so acking only the first loses nothing.
 */
export function splitBatch(b: Batch): [Batch, Batch] {
  const half = Math.ceil(b.records.length / 2);
  const part = (from: number, to: number): Batch => {
    const marks = b.marks.slice(from, to);
    return { records: b.records.slice(from, to), marks, positions: positionsOf(marks), bytes: Math.round((b.bytes * (to - from)) / b.records.length) };
  };
  return [part(0, half), part(half, b.records.length)];
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
  let marks: Array<Mark | undefined> = [];
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
      marks,
    };
    records = [];
    marks = [];
    positions = new Map();
    bytes = 0;
    onBatch(b);
  }

  return {
    add(record, sizeHint, ident, endOffset) {
      const size = RECORD_OVERHEAD + sizeHint + record.host.length + record.service.length + (record.file?.length ?? 0);
      if (records.length > 0 && bytes + size > maxBytes) flush();
      records.push(record);
      marks.push(ident && endOffset !== undefined ? { ident, offset: endOffset } : undefined);
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
