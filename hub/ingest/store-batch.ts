/**
 * The one path every ingest takes (WebSocket batches and POST /logs): validate each record,
 * append the valid ones durably, fan them out, count. Returns the ack content.
 */
import type { HubContext } from '../context.js';
import type { Principal } from '../auth/tokens.js';
import type { Rejection } from '../protocol/frames.js';
import { validateRecord, type ValidRecord } from '../protocol/record.js';
import type { AppendResult, BatchOrigin } from '../store/types.js';
import { STREAM_LIMIT_REASON } from '../store/stream-limits.js';
import type { ReceiverProtocol } from '../receivers/receive.js';

export interface StoreOutcome {
  stored: number;
  /** The first MAX_REJECTIONS_LISTED rejections; `rejectedCount` has them all. */
  rejected: Rejection[];
  rejectedCount: number;
  duplicate: boolean;
}

/**
 * Rejections listed per batch or body (docs/guarantees.md: capped, plus a count), so a body of a million
 * non-records answers with a few KB instead of a list as large as the body.
 */
export const MAX_REJECTIONS_LISTED = 100;

export function storeBatch(ctx: HubContext, path: 'ws' | 'http' | ReceiverProtocol, principal: Principal, records: unknown[], origin?: BatchOrigin, defaultHost?: string): Promise<StoreOutcome> {
  const before = storedBefore(ctx, origin);
  if (before) return before;
  const { valid, validAt, rejected, rejectedCount } = validateAll(ctx, path, principal, records, defaultHost);
  // Not an async function on purpose: nothing here may keep `records` or `valid` alive while the
  // append waits for its commit (the store has encoded them; a deep pipeline of batches would
  // otherwise keep every decoded record on the heap until its ack).
  return outcomeOf(ctx, path, ctx.store.append(valid, origin), rejected, rejectedCount, validAt);
}

/** A resend after reconnect (stored before): acked again without validating or storing anything. */
export function storedBefore(ctx: HubContext, origin: BatchOrigin | undefined): Promise<StoreOutcome> | undefined {
  if (!origin || ctx.store.ackedSeq(origin.shipper) < origin.seq) return undefined;
  ctx.metrics.ingestDuplicateBatches.inc();
  return Promise.resolve({ stored: 0, rejected: [], rejectedCount: 0, duplicate: true });
}

/**
 * The ack content once an append is durable (shared with the fast path, fast-batch.ts).
 * `validAt[k]`: the batch index of the k-th record appended, for records the store refused.
 */
export function outcomeOf(ctx: HubContext, path: 'ws' | 'http' | ReceiverProtocol, appended: Promise<AppendResult>, rejected: Rejection[], rejectedCount: number, validAt?: readonly number[]): Promise<StoreOutcome> {
  return appended.then((result) => {
    if (result.duplicate) {
      ctx.metrics.ingestDuplicateBatches.inc();
      return { stored: 0, rejected: [], rejectedCount: 0, duplicate: true };
    }
    if (result.refused && result.refused.length > 0) {
      // Valid, but each would have created a stream past a limit (store/stream-limits.ts).
      const over = result.refused.map((k) => ({ index: validAt?.[k] ?? k, reason: STREAM_LIMIT_REASON }));
      ctx.metrics.ingestRejected.inc({ reason: STREAM_LIMIT_REASON }, over.length);
      rejectedCount += over.length;
      rejected = rejected.concat(over).sort((a, b) => a.index - b.index).slice(0, listLimitOf(path));
    }
    if (result.count > 0) {
      ctx.metrics.ingestRecords.inc({ path }, result.count);
      ctx.onStored(result);
    }
    ctx.metrics.ingestBatches.inc({ path });
    return { stored: result.count, rejected, rejectedCount, duplicate: false };
  });
}

/** Receivers answer per item in their own protocols (Elasticsearch bulk) and keep the full list. */
function listLimitOf(path: 'ws' | 'http' | ReceiverProtocol): number {
  return path === 'ws' || path === 'http' ? MAX_REJECTIONS_LISTED : Infinity;
}

function validateAll(ctx: HubContext, path: 'ws' | 'http' | ReceiverProtocol, principal: Principal, records: unknown[], defaultHost?: string): { valid: ValidRecord[]; validAt: number[]; rejected: Rejection[]; rejectedCount: number } {
  let rejectedCount = 0;
  const listLimit = listLimitOf(path);
  const valid: ValidRecord[] = [];
  /** Index in `records` of each valid record. */
  const validAt: number[] = [];
  const rejected: Rejection[] = [];
  const vctx = { limits: ctx.limits, services: principal.services, defaultHost, nowMs: Date.now() };
  for (let i = 0; i < records.length; i++) {
    const v = validateRecord(records[i], vctx);
    if (v.ok) {
      valid.push(v.record);
      validAt.push(i);
    } else {
      if (rejectedCount++ < listLimit) rejected.push({ index: i, reason: v.reason });
      ctx.metrics.ingestRejected.inc({ reason: v.reason });
    }
  }
  return { valid, validAt, rejected, rejectedCount };
}
