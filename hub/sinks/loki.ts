/**
 * `loki` sink: push API, protobuf + snappy by default (`"encoding": "json"` for JSON). At least
 * once: a batch resent after a crash or a lost answer may duplicate entries of that one batch
 * (Loki itself drops an entry identical in stream, time and line).
 *
 * A 400 that counts refused entries (partial acceptance) delivers the rest and skips that many
 * as `rejected`; a 400 without a count refuses the whole batch (skipped, never retried forever).
 */
import snappy from 'snappy';
import { parseRetryAfter } from './backoff.js';
import type { SinkConfig } from './config.js';
import { createPoster, excerpt } from './http-post.js';
import { pushJson, pushProto, refusedCount } from './loki-push.js';
import { httpVerdict, type SinkSender } from './types.js';

export function createLokiSink(cfg: SinkConfig): SinkSender {
  const poster = createPoster(cfg);
  return {
    async send(records) {
      const res = cfg.encoding === 'json'
        ? await poster.post(pushJson(records, cfg.labels), { 'content-type': 'application/json' })
        : await poster.post(snappy.compressSync(pushProto(records, cfg.labels)), { 'content-type': 'application/x-protobuf' });
      if (res.status === 400) {
        const refused = Math.min(records.length, refusedCount(res.body) ?? records.length);
        return { retry: [], skipped: { rejected: refused }, error: `${cfg.url} refused ${refused} of ${records.length} entries: ${excerpt(res.body)}` };
      }
      return httpVerdict(res.status, records, cfg.url, parseRetryAfter(res.headers['retry-after']), res.error ?? excerpt(res.body));
    },
    async close() {
      poster.close();
    },
  };
}
