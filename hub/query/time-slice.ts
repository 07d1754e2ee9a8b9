/**
 * Runs a store iteration in time slices: at most SLICE_MS of work per event-loop turn, then
 * `setImmediate`, so acks, live tails and /health keep answering while a query scans (docs/
 * http-api.md "Queries never stall the hub"). The store yields `null` between chunks (QueryOptions
 * `ticks`) precisely so that a scan that matches nothing still reaches these checks.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Work per event-loop turn before yielding. */
export const SLICE_MS = 8;

/**
 * Calls `visit` for each non-null item until it returns false or the iteration ends, yielding to
 * the event loop every SLICE_MS. `stop` is checked at every turn (e.g. the client went away).
 */
export async function forEachSliced<T>(items: Iterable<T | null>, visit: (item: T) => boolean | void, stop?: () => boolean): Promise<void> {
  const it = items[Symbol.iterator]();
  let sliceStart = performance.now();
  let k = 0;
  try {
    for (;;) {
      const r = it.next();
      if (r.done) return;
      if (r.value !== null && visit(r.value) === false) return;
      // performance.now() costs ~50 ns: check it every 16 items, and at every tick.
      if (r.value !== null && (++k & 15) !== 0) continue;
      if (performance.now() - sliceStart < SLICE_MS) continue;
      await nextTurn();
      if (stop?.()) return;
      sliceStart = performance.now();
    }
  } finally {
    it.return?.();
  }
}
