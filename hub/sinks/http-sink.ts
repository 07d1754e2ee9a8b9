/**
 * `http` sink: the batch as NDJSON (one §2 JSON record per line) in one POST. Any 2xx accepts the
 * whole batch; 413 splits it in half (one record alone too large is skipped as `too_large`);
 * see httpVerdict for the rest. `Idempotency-Key` names the batch (sink, hub, last lseq) so a
 * receiver that dedupes can drop a resend.
 */
import { toJsonRecord } from '../protocol/record.js';
import type { WireRecord } from '../protocol/frames.js';
import { parseRetryAfter } from './backoff.js';
import type { SinkConfig } from './config.js';
import { createPoster, excerpt } from './http-post.js';
import { httpVerdict, type SendOutcome, type SinkBatch, type SinkSender } from './types.js';

export function ndjson(records: WireRecord[]): string {
  let out = '';
  for (const r of records) out += `${JSON.stringify(toJsonRecord(r))}\n`;
  return out;
}

export function createHttpSink(cfg: SinkConfig, hubId: string): SinkSender {
  const poster = createPoster(cfg);
  const sendPart = async (records: WireRecord[], batch: SinkBatch): Promise<SendOutcome> => {
    const res = await poster.post(ndjson(records), {
      'content-type': 'application/x-ndjson',
      'idempotency-key': `${cfg.name}-${hubId}-${batch.endLseq}-${records[0].id}`,
    });
    if (res.status === 413) {
      if (records.length === 1) return { retry: [], skipped: { too_large: 1 }, error: `${cfg.url} refused a record as too large (HTTP 413)` };
      const mid = records.length >> 1;
      const a = await sendPart(records.slice(0, mid), batch);
      const b = await sendPart(records.slice(mid), batch);
      return merge(a, b);
    }
    return httpVerdict(res.status, records, cfg.url, parseRetryAfter(res.headers['retry-after']), res.error ?? excerpt(res.body));
  };
  return {
    send: sendPart,
    async close() {
      poster.close();
    },
  };
}

/** Combines the outcomes of two halves of one batch. */
export function merge(a: SendOutcome, b: SendOutcome): SendOutcome {
  const skipped: Record<string, number> = { ...a.skipped };
  for (const [k, n] of Object.entries(b.skipped ?? {})) skipped[k] = (skipped[k] ?? 0) + n;
  const ra = a.retryAfterMs ?? 0;
  const rb = b.retryAfterMs ?? 0;
  return { retry: [...a.retry, ...b.retry], skipped, error: a.error ?? b.error, retryAfterMs: ra || rb ? Math.max(ra, rb) : undefined };
}
