/**
 * History answered by this hub's store alone (single hub, or this hub's part of a cluster answer).
 * The store is read in time slices (time-slice.ts): a big page or a scan that matches nothing never
 * holds the event loop for more than a few milliseconds at a time.
 */
import type { History, HistoryQuery } from '../context.js';
import type { WireRecord } from '../protocol/frames.js';
import type { Store } from '../store/types.js';
import { forEachSliced } from './time-slice.js';

export function localHistory(store: Store): History {
  return {
    async query(q: HistoryQuery): Promise<WireRecord[]> {
      const out: WireRecord[] = [];
      if (!(q.limit > 0)) return out;
      const it = store.query(q.filter, { order: q.order, by: q.by, after: q.after, afterTs: q.afterTs, limit: q.limit, ticks: true });
      await forEachSliced(it, (r) => {
        out.push(r);
        return out.length < q.limit;
      });
      return out;
    },
  };
}
