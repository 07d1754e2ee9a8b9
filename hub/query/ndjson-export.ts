/**
 * Streamed NDJSON export of every match of a history query (GET /logs with
 * `Accept: application/x-ndjson`): one JSON record per line, no row cap.
 *
 * Invariants:
 * - Memory is bounded by one page plus what uWS holds for one slow socket: the next page is
 *   fetched only after the previous one was accepted by the socket (`write()` true) or drained
 *   (`onWritable`). A slow reader slows only its own export.
 * - Pages continue from the last record sent, so the export yields every match exactly once even
 *   while records are being ingested.
 * - Between pages the event loop gets a turn (setImmediate), so a fast reader of a huge export
 *   never starves ingest.
 * - The export stops as soon as the client goes away. A failure after the headers were sent
 *   closes the connection without the chunked terminator, so the client sees a truncated
 *   transfer rather than a silently short result.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { HistoryQuery } from '../context.js';
import type { QueryCall } from './handler.js';
import { createRecordSerializer } from './record-json.js';

/**
 * Records per page: big enough to amortise the history call (each page plans its query again:
 * over 200k streams that costs ~0.1 s), small enough to bound memory (a few MB per export).
 */
export const EXPORT_PAGE_RECORDS = 5000;

export async function streamNdjson(call: QueryCall, q: HistoryQuery): Promise<void> {
  const { res, aborted } = call;
  let remaining = q.limit;
  let after = q.after;
  let afterTs = q.afterTs;
  const ser = createRecordSerializer();
  let waiting: (() => void) | undefined;
  aborted.onAbort(() => waiting?.());
  res.onWritable(() => {
    waiting?.();
    return true;
  });

  const drain = (): Promise<void> =>
    new Promise((resolve) => {
      waiting = () => {
        waiting = undefined;
        resolve();
      };
    });

  call.markStatus(200);
  res.cork(() => {
    res.writeStatus('200 OK').writeHeader('content-type', 'application/x-ndjson').writeHeader('cache-control', 'no-store');
  });
  try {
    while (remaining > 0 && !aborted.aborted) {
      const pageLimit = Math.min(remaining, EXPORT_PAGE_RECORDS);
      const rows = await call.hub.history.query({ ...q, after, afterTs, limit: pageLimit });
      if (aborted.aborted) return;
      if (rows.length === 0) break;
      let chunk = '';
      for (const r of rows) chunk += `${ser(r)}\n`;
      after = rows[rows.length - 1].id;
      afterTs = rows[rows.length - 1].ts;
      remaining -= rows.length;
      let ok = true;
      res.cork(() => {
        ok = res.write(chunk);
      });
      if (!ok) await drain();
      else await yieldToLoop();
    }
    if (!aborted.aborted) res.cork(() => res.end());
  } catch (err) {
    call.hub.log.error({ err }, 'NDJSON export failed after the response started; closing the connection');
    if (!aborted.aborted) res.close();
  }
}
