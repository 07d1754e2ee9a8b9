/**
 * Reference model for store query tests: the records an append returned, filtered with the shared
 * `matchRecord` and ordered by id — what `Store.query` must return.
 */
import type { WireRecord } from '../../../hub/protocol/frames.js';
import type { RecordFilter } from '../../../hub/filter/filter.js';
import { matchRecord } from '../../../hub/filter/filter.js';
import type { QueryOptions } from '../../../hub/store/types.js';

export function modelQuery(all: WireRecord[], f: RecordFilter, o: QueryOptions): WireRecord[] {
  let rs = all.filter((r) => matchRecord(f, r)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (o.order === 'desc') rs.reverse();
  if (o.after !== undefined) rs = rs.filter((r) => (o.order === 'asc' ? r.id > o.after! : r.id < o.after!));
  return o.limit !== undefined ? rs.slice(0, o.limit) : rs;
}

/** By (timestamp, id): what `Store.query` with `by: 'event'` must return. */
export function modelEventQuery(all: WireRecord[], f: RecordFilter, o: QueryOptions): WireRecord[] {
  const cmp = (a: WireRecord, b: WireRecord) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  let rs = all.filter((r) => matchRecord(f, r)).sort(cmp);
  if (o.order === 'desc') rs.reverse();
  if (o.after !== undefined) {
    const c = { ts: o.afterTs!, id: o.after } as WireRecord;
    rs = rs.filter((r) => (o.order === 'asc' ? cmp(r, c) > 0 : cmp(r, c) < 0));
  }
  return o.limit !== undefined ? rs.slice(0, o.limit) : rs;
}
