/**
 * Turns a query's cursor (`after`, an id from this or ANY other hub) and receive-time filters into
 * local bounds: wanted records have lo ≤ lseq < hi, and their groups have loRts ≤ rts ≤ hiRts.
 *
 * Why this is exact for foreign ids: ids sort by (rts, hub tag, lseq). All records of one local
 * group share an rts, so relative to a foreign id F = (rtsF, tagF, ·) a whole group sorts after F
 * iff rts > rtsF, or rts == rtsF and our tag > tagF. The boundary is therefore the first group with
 * rts ≥ R, where R = rtsF when our tag > tagF else rtsF + 1 — one seek in `groups` (keyed by rts).
 */
import type { RecordFilter } from '../filter/filter.js';
import { parseId } from '../protocol/ids.js';
import { MAX_U48, groupKey, parseGroupKey } from './keys.js';
import type { StoreState } from './state.js';

/** Local lseq and rts bounds of a query: lo ≤ lseq < hi, loRts ≤ group rts ≤ hiRts. */
export interface Bounds {
  lo: number;
  hi: number;
  loRts: number;
  hiRts: number;
}

/** Thrown for an `after` that is not an id; callers turn it into a 400 naming the cursor. */
export class InvalidCursorError extends RangeError {
  readonly code = 'HUB_ERR_INVALID_CURSOR';
  constructor(cursor: string) {
    super(`"${cursor.slice(0, 64)}" is not a record id`);
    this.name = 'InvalidCursorError';
  }
}

/** First local lseq in a group with rts ≥ `rts` (nextLseq when none). */
export function firstLseqAtRts(state: StoreState, rts: number): number {
  if (rts <= 0) return 0;
  if (rts > MAX_U48) return state.nextLseq;
  for (const { key } of state.dbs.groups.getRange({ start: groupKey(rts, 0), limit: 1 })) {
    const g = parseGroupKey(key);
    if (g) return g.firstLseq;
  }
  for (const t of state.tail) if (t.rts >= rts) return t.first; // not indexed yet (log-tail.ts)
  return state.nextLseq;
}

/** Bounds for a filter's receive-time range and cursor; throws InvalidCursorError for a bad `after`. */
export function computeBounds(state: StoreState, f: RecordFilter, after: string | undefined, desc: boolean): Bounds {
  const b: Bounds = { lo: 0, hi: state.nextLseq, loRts: 0, hiRts: MAX_U48 };
  if (f.receivedFrom !== undefined) {
    b.loRts = Math.max(b.loRts, f.receivedFrom);
    b.lo = Math.max(b.lo, firstLseqAtRts(state, f.receivedFrom));
  }
  if (f.receivedTo !== undefined) {
    b.hiRts = Math.min(b.hiRts, f.receivedTo);
    b.hi = Math.min(b.hi, firstLseqAtRts(state, f.receivedTo + 1));
  }
  if (after !== undefined) {
    const p = parseId(after);
    if (!p) throw new InvalidCursorError(after);
    if (p.tag === state.tag) {
      if (desc) {
        b.hi = Math.min(b.hi, p.lseq);
        b.hiRts = Math.min(b.hiRts, p.rts);
      } else {
        b.lo = Math.max(b.lo, p.lseq + 1);
        b.loRts = Math.max(b.loRts, p.rts);
      }
    } else {
      const r = state.tag > p.tag ? p.rts : p.rts + 1;
      const l = firstLseqAtRts(state, r);
      if (desc) {
        b.hi = Math.min(b.hi, l);
        b.hiRts = Math.min(b.hiRts, r - 1);
      } else {
        b.lo = Math.max(b.lo, l);
        b.loRts = Math.max(b.loRts, r);
      }
    }
  }
  return b;
}
