/**
 * Dropping empty streams (issue 8): when a deletion (DELETE /logs, --retention, --max-disk)
 * removes a stream's last record, the stream leaves the `streams` db in that deletion's
 * transaction and leaves memory once the transaction committed — unless a record with its labels
 * arrived meanwhile (then that append rewrote its entry and it stays). A later record with the
 * same labels makes a new stream with a new id. Ids are never reused: meta "nextSid" is written
 * with every drop, so a restart cannot hand a dropped id (whose stray keys might remain, e.g. of
 * an unreadable chunk) to a new stream. At open, an entry with no records is dropped as well.
 */
import type { Op, StoreState } from './state.js';
import type { Stream } from './streams.js';

/** The meta key holding the next stream id (written only when streams are dropped). */
export const NEXT_SID_KEY = 'nextSid';

/**
 * For a deletion step's plan: pushes the ops removing the persisted entries of the streams left
 * without records and returns those streams (leave them out of the step's `touched`).
 */
export function emptiedStreams(state: StoreState, streams: Iterable<Stream>, ops: Op[]): Stream[] {
  const out: Stream[] = [];
  for (const s of streams) {
    if (s.n > 0) continue;
    ops.push({ db: state.dbs.streams, key: s.sid });
    out.push(s);
  }
  if (out.length > 0) ops.push({ db: state.dbs.meta, key: NEXT_SID_KEY, value: state.streams.nextSid });
  return out;
}

/** After the step committed: forgets the streams that are still empty. */
export function forgetEmpty(state: StoreState, streams: readonly Stream[]): void {
  for (const s of streams) {
    if (s.n > 0) continue;
    state.streams.remove(s);
    state.volume.forget(s.sid);
  }
}

/**
 * At open: the persisted next id, and the ops removing entries of streams without records and
 * of those the table did not keep (`unkept`, StreamTable.load).
 */
export function recoverStreams(state: Pick<StoreState, 'dbs' | 'streams'>, unkept: readonly number[]): Op[] {
  const ops: Op[] = unkept.map((sid) => ({ db: state.dbs.streams, key: sid }));
  const next = state.dbs.meta.get(NEXT_SID_KEY);
  if (typeof next === 'number') state.streams.nextSid = Math.max(state.streams.nextSid, next);
  for (const s of [...state.streams.all()]) {
    if (s.n > 0) continue;
    ops.push({ db: state.dbs.streams, key: s.sid });
    state.streams.remove(s);
  }
  if (ops.length > 0) ops.push({ db: state.dbs.meta, key: NEXT_SID_KEY, value: state.streams.nextSid });
  return ops;
}
