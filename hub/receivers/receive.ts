/**
 * Hands mapped records from any protocol receiver to the one ingest path (validate → append
 * durably → fan out: hub/ingest/store-batch.ts) and counts them per protocol on /metrics:
 * `logwire_receiver_received_records_total`, `..._stored_...`, `..._rejected_...{reason}`.
 */
import type { HubContext } from '../context.js';
import type { Principal } from '../auth/tokens.js';
import { storeBatch, type StoreOutcome } from '../ingest/store-batch.js';

export type ReceiverProtocol = 'loki' | 'otlp' | 'elasticsearch' | 'forward' | 'syslog';

/** Stores what validates; resolves once durable. Throws only when the store cannot be used. */
export async function receive(ctx: HubContext, protocol: ReceiverProtocol, principal: Principal, records: unknown[]): Promise<StoreOutcome> {
  const m = ctx.metrics;
  m.receiverReceived.inc({ protocol }, records.length);
  const outcome = await storeBatch(ctx, protocol, principal, records);
  if (outcome.stored > 0) m.receiverStored.inc({ protocol }, outcome.stored);
  for (const r of outcome.rejected) m.receiverRejected.inc({ protocol, reason: r.reason });
  return outcome;
}

/** Counts a request refused as a whole (bad body, bad compression, auth, too large). */
export function countRefusedRequest(ctx: HubContext, protocol: ReceiverProtocol, reason: string): void {
  ctx.metrics.receiverRejected.inc({ protocol, reason });
}
