/**
 * The one path every ingest takes (WebSocket batches and POST /logs): validate each record,
 * append the valid ones durably, fan them out, count. Returns the ack content.
 */
import type { HubContext } from '../context.js';
import type { Principal } from '../auth/tokens.js';
import type { Rejection } from '../protocol/frames.js';
import { validateRecord, type ValidRecord } from '../protocol/record.js';
import type { BatchOrigin } from '../store/types.js';
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

export async function storeBatch(ctx: HubContext, path: 'ws' | 'http' | ReceiverProtocol, principal: Principal, records: unknown[], origin?: BatchOrigin, defaultHost?: string): Promise<StoreOutcome> {
  if (origin && ctx.store.ackedSeq(origin.shipper) >= origin.seq) {
    // A resend after reconnect: stored before, so ack again without validating or storing.
    ctx.metrics.ingestDuplicateBatches.inc();
    return { stored: 0, rejected: [], rejectedCount: 0, duplicate: true };
  }
  let rejectedCount = 0;
  // Receivers answer per item in their own protocols (Elasticsearch bulk) and keep the full list.
  const listLimit = path === 'ws' || path === 'http' ? MAX_REJECTIONS_LISTED : Infinity;
  const valid: ValidRecord[] = [];
  /** Index in `records` of each valid record. */
  const validAt: number[] = [];
  let rejected: Rejection[] = [];
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
  const result = await ctx.store.append(valid, origin);
  if (result.duplicate) {
    ctx.metrics.ingestDuplicateBatches.inc();
    return { stored: 0, rejected: [], rejectedCount: 0, duplicate: true };
  }
  if (result.refused && result.refused.length > 0) {
    // Valid, but each would have created a stream past a limit (store/stream-limits.ts).
    const over = result.refused.map((k) => ({ index: validAt[k], reason: STREAM_LIMIT_REASON }));
    ctx.metrics.ingestRejected.inc({ reason: STREAM_LIMIT_REASON }, over.length);
    rejectedCount += over.length;
    rejected = rejected.concat(over).sort((a, b) => a.index - b.index).slice(0, listLimit);
  }
  if (result.records.length > 0) {
    ctx.metrics.ingestRecords.inc({ path }, result.records.length);
    ctx.onStored(result.records);
  }
  ctx.metrics.ingestBatches.inc({ path });
  return { stored: result.records.length, rejected, rejectedCount, duplicate: false };
}
