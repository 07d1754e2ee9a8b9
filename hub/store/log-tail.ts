/**
 * Read-your-writes: the records acked but not yet indexed live only in the log (log.ts). A query
 * reads them from there, after (asc) or before (desc) the indexed part, since every tail record
 * has a higher lseq than any indexed one. The query's view of the tail is taken when it starts;
 * a group indexed while the query runs is no longer in the log, and is then read from its chunks
 * instead (`indexedRange`), so every record is seen exactly once.
 */
import type { WireRecord } from '../protocol/frames.js';
import { idFromPrefix, idPrefix } from '../protocol/ids.js';
import type { Bounds } from './bounds.js';
import type { Matcher } from './chunk-read.js';
import { storedTs } from './stored-ts.js';
import { LogView, logKey } from './log.js';
import type { StoreState } from './state.js';
import type { Candidates } from './streams.js';
import { wireRecord } from './wire-record.js';
import type { LogGroup } from './group.js';

/** Reads the records of lseqs [lo, hi) from chunks (the group was indexed meanwhile). */
export type IndexedRange = (lo: number, hi: number) => Iterable<WireRecord | null>;

/** Matching records of the given tail groups, within bounds, in lseq order (asc or desc). */
export function* scanTail(state: StoreState, groups: readonly LogGroup[], cands: Candidates, b: Bounds, m: Matcher, desc: boolean, indexedRange: IndexedRange): Generator<WireRecord | null> {
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[desc ? groups.length - 1 - gi : gi];
    const lo = Math.max(b.lo, g.first);
    const hi = Math.min(b.hi, g.first + g.n);
    if (lo >= hi || g.rts < b.loRts || g.rts > b.hiRts) continue;
    const value = state.dbs.log.getBinary(logKey(g.first));
    if (!value) {
      yield* indexedRange(lo, hi);
      continue;
    }
    const view = new LogView(value);
    const prefix = idPrefix(g.rts, state.tag);
    const { from, to, text } = m;
    for (let k = lo - g.first; k < hi - g.first; k++) {
      const i = desc ? hi - g.first - 1 - (k - (lo - g.first)) : k;
      const s = cands.get(view.sids[i]);
      if (!s) continue;
      const ts = storedTs(view.ts[i]);
      if ((from !== undefined && ts < from) || (to !== undefined && ts > to)) continue;
      let msg: string | undefined;
      if (text) {
        msg = view.message(i);
        if (!text(msg)) continue;
      }
      const body = view.body(i, msg);
      body.ts = ts;
      yield wireRecord(idFromPrefix(prefix, g.first + i), g.rts, s, body);
    }
  }
}
