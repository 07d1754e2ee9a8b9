/** History answered by this hub's store alone (single hub, or this hub's part of a cluster answer). */
import type { History, HistoryQuery } from '../context.js';
import type { WireRecord } from '../protocol/frames.js';
import type { Store } from '../store/types.js';

export function localHistory(store: Store): History {
  return {
    async query(q: HistoryQuery): Promise<WireRecord[]> {
      const out: WireRecord[] = [];
      for (const r of store.query(q.filter, { order: q.order, after: q.after, limit: q.limit })) {
        out.push(r);
        if (out.length >= q.limit) break;
      }
      return out;
    },
  };
}
