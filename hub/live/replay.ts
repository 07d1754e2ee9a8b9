/**
 * `after=<id>` on a live tail: replay every stored record after that id (from this hub's store,
 * or every hub's when clustered), then hand over to the live stream with no gap and no
 * duplicate (the dedupe rule is in tailer.ts). `last=N` is the same from just before the N
 * newest matching records (receive order), as `tail -n N -f` starts.
 *
 * Order of operations is what makes it exact: the client is subscribed first, the subscription
 * is flushed to the bus (so anything published later reaches it), and only then is the store
 * read. A record is published only after its commit, so every record is either read by the
 * replay or delivered live. The loop ends on a short page read after the last overflow of the
 * live holding buffer. Replay pages wait for the client to read (no drops in history).
 */
import type { Bus } from '../bus/bus.js';
import type { History } from '../context.js';
import type { Logger } from '../log.js';
import { CloseCode } from '../protocol/frames.js';
import type { RecordFilter } from '../filter/filter.js';
import type { Tailer } from './tailer.js';
import { BEFORE_EVERY_ID } from '../protocol/ids.js';

export interface ReplayDeps {
  history: History;
  bus: Bus;
  log: Logger;
  /** Run `fn` corked on the client's socket (uWS: writes from a promise must be corked). */
  cork(t: Tailer, fn: () => void): void;
}

export type ReplayStart = { after: string } | { last: number };

export async function replayThenLive(t: Tailer, deps: ReplayDeps, filter: RecordFilter, start: ReplayStart, pageRecords: number): Promise<void> {
  t.beginReplay('after' in start ? start.after : BEFORE_EVERY_ID);
  try {
    await deps.bus.flush();
    // Read after subscribing, like the pages: a record newer than this read arrives live or in a page.
    let cursor = 'after' in start ? start.after : await startOfNewest(deps.history, filter, start.last);
    for (;;) {
      if (t.closed) return;
      const overflows = t.replayOverflows();
      const page = await deps.history.query({ filter, order: 'asc', after: cursor, limit: pageRecords });
      if (t.closed) return;
      if (page.length > 0) {
        deps.cork(t, () => t.sendReplayPage(page));
        cursor = page[page.length - 1].id;
        await t.waitWritable();
      }
      if (page.length < pageRecords && t.replayOverflows() === overflows) break;
    }
    deps.cork(t, () => t.endReplay());
  } catch (err) {
    deps.log.warn({ err }, 'live tail replay failed; closing the client');
    deps.cork(t, () => t.close(CloseCode.internal, 'history replay failed; reconnect to retry'));
  }
}

/** The id just before the `n` newest matches by receive order (or the start, when there are fewer). */
async function startOfNewest(history: History, filter: RecordFilter, n: number): Promise<string> {
  const newest = await history.query({ filter, order: 'desc', limit: n + 1 });
  return newest.length > n ? newest[n].id : BEFORE_EVERY_ID;
}
