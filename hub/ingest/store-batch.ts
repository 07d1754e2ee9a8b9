/**
 * The one path every ingest takes (WebSocket batches and POST /logs): validate each record,
 * append the valid ones durably, fan them out, count. Returns the ack content.
 */
import type { HubContext } from '../context.js';
import type { Principal } from '../auth/tokens.js';
import type { Rejection } from '../protocol/frames.js';
import { validateRecord, type ValidRecord } from '../protocol/record.js';
import type { AppendResult, BatchOrigin } from '../store/types.js';
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
  if (origin && ctx.store.ackedSeq(origin.shipper) >= origin.seq) {
    // A resend after reconnect: stored before, so ack again without validating or storing.
    ctx.metrics.ingestDuplicateBatches.inc();
    return Promise.resolve({ stored: 0, rejected: [], rejectedCount: 0, duplicate: true });
  }
  const { valid, rejected, rejectedCount } = validateAll(ctx, path, principal, records, defaultHost);
  // Not an async function on purpose: nothing here may keep `records` or `valid` alive while the
  // append waits for its commit (the store has encoded them; a deep pipeline of batches would
  // otherwise keep every decoded record on the heap until its ack).
  return outcomeOf(ctx, path, ctx.store.append(valid, origin), rejected, rejectedCount);
}

/** The ack content once an append is durable (shared with the fast path, fast-batch.ts). */
export function outcomeOf(ctx: HubContext, path: 'ws' | 'http' | ReceiverProtocol, appended: Promise<AppendResult>, rejected: Rejection[], rejectedCount: number): Promise<StoreOutcome> {
  return appended.then((result) => {
    if (result.duplicate) {
      ctx.metrics.ingestDuplicateBatches.inc();
      return { stored: 0, rejected: [], rejectedCount: 0, duplicate: true };
    }
    if (result.count > 0) {
      ctx.metrics.ingestRecords.inc({ path }, result.count);
      ctx.onStored(result);
    }
    ctx.metrics.ingestBatches.inc({ path });
    return { stored: result.count, rejected, rejectedCount, duplicate: false };
  });
}

function validateAll(ctx: HubContext, path: 'ws' | 'http' | ReceiverProtocol, principal: Principal, records: unknown[], defaultHost?: string): { valid: ValidRecord[]; rejected: Rejection[]; rejectedCount: number } {
  let rejectedCount = 0;
  // Receivers answer per item in their own protocols (Elasticsearch bulk) and keep the full list.
  const listLimit = path === 'ws' || path === 'http' ? MAX_REJECTIONS_LISTED : Infinity;
  const valid: ValidRecord[] = [];
  const rejected: Rejection[] = [];
  const vctx = { limits: ctx.limits, services: principal.services, defaultHost, nowMs: Date.now() };
  for (let i = 0; i < records.length; i++) {
    const v = validateRecord(records[i], vctx);
    if (v.ok) valid.push(v.record);
    else {
      if (rejectedCount++ < listLimit) rejected.push({ index: i, reason: v.reason });
      ctx.metrics.ingestRejected.inc({ reason: v.reason });
    }
  }
  return { valid, rejected, rejectedCount };
}
