/**
 * A store of many distinct streams, for bench/e2e/many_streams.ts (not part of the test suite):
 * SERVICES services × hosts, one stream (INFO, one file) per (service, host), `perStream`
 * records each, written through the store API in big appends (no sockets involved).
 */
import type { ValidRecord } from '../../hub/protocol/record.js';
import type { Store } from '../../hub/store/types.js';

/** Services the streams are spread over (each holds streams / SERVICES of them). */
export const SERVICES = 40;
const APPEND_RECORDS = 20_000;

/** Service and host names of stream `i`. */
export function streamLabels(i: number): { service: string; host: string } {
  return { service: `svc-${String(i % SERVICES).padStart(2, '0')}`, host: `host-${String(Math.floor(i / SERVICES)).padStart(6, '0')}` };
}

/**
 * Appends `perStream` records to each of `streams` streams, event times spread over the hour
 * before `nowMs`; resolves once the indexer has caught up.
 */
export async function fillManyStreams(store: Store, streams: number, perStream: number, nowMs = Date.now()): Promise<number> {
  let batch: ValidRecord[] = [];
  let total = 0;
  const pending: Array<Promise<unknown>> = [];
  for (let k = 0; k < perStream; k++) {
    for (let i = 0; i < streams; i++) {
      const { service, host } = streamLabels(i);
      const ts = nowMs - 3_600_000 + Math.floor(((k * streams + i) / (streams * perStream)) * 3_500_000);
      batch.push({ ts, service, host, file: '/var/log/app.log', severity: 'INFO', message: `request ${k} served by ${host} status=200 latency_ms=${i % 900}` });
      if (batch.length >= APPEND_RECORDS) {
        pending.push(store.append(batch));
        total += batch.length;
        batch = [];
        if (pending.length >= 4) await pending.shift();
      }
    }
  }
  if (batch.length > 0) pending.push(store.append(batch));
  total += batch.length;
  await Promise.all(pending);
  // The indexer's worker is unref'd: keep this process alive while it catches up.
  const keepAlive = setInterval(() => undefined, 1000);
  await store.indexed();
  clearInterval(keepAlive);
  return total;
}
