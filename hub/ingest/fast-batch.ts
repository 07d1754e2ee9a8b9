/**
 * The ingest fast path for shipper batches (docs/protocol.md): records in the plain shape
 * shippers send go from the frame's bytes into the store's log segment without becoming objects
 * (protocol/batch-scan.ts reads them in place, label-cache.ts recognises their labels); any other
 * record is decoded and validated the ordinary way, in order, in the same append. Acks, rejections
 * and metrics are exactly those of store-batch.ts.
 */
import type { HubContext } from '../context.js';
import type { Principal } from '../auth/tokens.js';
import { decode } from '../protocol/codec.js';
import type { Rejection } from '../protocol/frames.js';
import { RejectReason, validateRecord, type ValidationContext } from '../protocol/record.js';
import { visitRecords, type PlainRecord, type ScannedBatch } from '../protocol/batch-scan.js';
import { epochToMs, inTimeWindow } from '../protocol/time.js';
import type { AppendBuilder } from '../store/append-builder.js';
import { STREAM_LIMIT_REASON } from '../store/stream-limits.js';
import type { BatchOrigin } from '../store/types.js';
import type { LabelCache } from './label-cache.js';
import { MAX_REJECTIONS_LISTED, outcomeOf, storedBefore, type StoreOutcome } from './store-batch.js';

/**
 * A plain record's fields are copied as bytes only when they cannot exceed the fields limit as
 * validateRecord measures it (at most ~12 measured bytes per encoded byte); larger ones take the
 * ordinary path, which measures them exactly.
 */
const FIELDS_MEASURE_PER_BYTE = 12;

/** Stores the records of a scanned batch frame (protocol/batch-scan.ts `scanBatch`). */
export function storeScannedBatch(ctx: HubContext, labels: LabelCache, principal: Principal, bytes: Uint8Array, scanned: ScannedBatch, origin: BatchOrigin, defaultHost?: string): Promise<StoreOutcome> {
  const before = storedBefore(ctx, origin);
  if (before) return before;
  const batch = new BatchBuilder(ctx, labels, principal, bytes, scanned.count, defaultHost);
  visitRecords(bytes, scanned, batch);
  return outcomeOf(ctx, 'ws', ctx.store.appendSegment(batch.builder.finish(), origin), batch.rejected, batch.rejectedCount);
}

/** Receives the scan's records and builds the append. */
class BatchBuilder {
  readonly builder: AppendBuilder;
  readonly rejected: Rejection[] = [];
  rejectedCount = 0;
  private readonly vctx: ValidationContext;

  constructor(private readonly ctx: HubContext, private readonly labels: LabelCache, private readonly principal: Principal, private readonly bytes: Uint8Array, count: number, private readonly defaultHost?: string) {
    this.builder = ctx.store.appendBuilder(count, bytes.length);
    this.vctx = { limits: ctx.limits, services: principal.services, defaultHost, nowMs: Date.now() };
  }

  plain(r: PlainRecord, index: number): void {
    const { limits, nowMs } = this.vctx;
    // The ordinary path fills in a default host, truncates long messages and measures big fields.
    if (r.hostStart < 0 && this.defaultHost !== undefined) return this.other(r.start, r.end, index);
    if (r.msgEnd - r.msgStart > limits.maxMessageBytes) return this.other(r.start, r.end, index);
    if (r.fieldsStart >= 0 && (r.fieldsEnd - r.fieldsStart) * FIELDS_MEASURE_PER_BYTE > limits.maxFieldsBytes) return this.other(r.start, r.end, index);
    const stream = this.labels.lookup(this.bytes, r, this.builder);
    if (!stream) return this.other(r.start, r.end, index);
    const services = this.principal.services;
    if (services !== '*' && !services.includes(stream.service)) return this.reject(index, RejectReason.forbiddenService);
    let ts = nowMs;
    if (!Number.isNaN(r.ts)) {
      const ms = epochToMs(r.ts);
      if (ms === undefined || !inTimeWindow(ms, nowMs)) return this.reject(index, RejectReason.invalidTimestamp);
      ts = ms;
    }
    if (!this.builder.addRaw(stream, ts, r.truncated, this.bytes, r.msgStart, r.msgEnd, r.fieldsStart, r.fieldsEnd)) this.reject(index, STREAM_LIMIT_REASON);
  }

  other(start: number, end: number, index: number): void {
    const d = decode(this.bytes.subarray(start, end));
    const v = d.ok ? validateRecord(d.value, this.vctx) : ({ ok: false, reason: RejectReason.notAMap } as const);
    if (!v.ok) this.reject(index, v.reason);
    else if (!this.builder.addRecord(v.record)) this.reject(index, STREAM_LIMIT_REASON);
  }

  private reject(index: number, reason: string): void {
    if (this.rejectedCount++ < MAX_REJECTIONS_LISTED) this.rejected.push({ index, reason });
    this.ctx.metrics.ingestRejected.inc({ reason });
  }
}
