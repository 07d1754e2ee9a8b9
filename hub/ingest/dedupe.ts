/**
 * Exactly-once state of a shipper (docs/protocol.md): the highest batch seq stored belongs to the token
 * and the shipper id together, so no token can change what another token's shippers are told in
 * `welcome.acked` or make their batches look like duplicates. Stored under
 * `<token key>/<shipper id>` in the store's shippers table.
 *
 * Hubs before this rule keyed the state by shipper id alone. That old value still counts as
 * stored (a floor) for every token, so a batch stored before an upgrade is not stored again; it
 * is never written any more, so no token can move it.
 */
import type { Principal } from '../auth/tokens.js';
import type { Store } from '../store/types.js';

/**
 * The largest step a batch seq may take past what is stored: generous (epoch-ms seqs fit until
 * 2109), yet a jump to 2^53 - 1 that would end the shipper's seq space is refused.
 */
export const MAX_SEQ_JUMP = 2 ** 42;

export function dedupeKey(principal: Principal, shipper: string): string {
  return `${principal.key}/${shipper}`;
}

/** welcome.acked for this token and shipper id. */
export function ackedFor(store: Store, key: string, shipper: string): number {
  return Math.max(store.ackedSeq(key), store.ackedSeq(shipper));
}
