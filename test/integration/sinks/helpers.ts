/** Shared pieces of the forwarding tests: sinks files, posting records, reading a hub back. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonRecord } from '../../../hub/protocol/record.js';

export function writeSinksFile(dir: string, sinks: unknown[]): string {
  const path = join(dir, `sinks-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ sinks }, null, 2));
  return path;
}

/** POSTs records to /logs; resolves with the ids the hub gave them. */
export async function postLogs(url: string, token: string, records: object[]): Promise<void> {
  const res = await fetch(`${url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(records) });
  if (res.status !== 201) throw new Error(`POST /logs answered ${res.status}: ${await res.text()}`);
}

/** Every record a hub holds (NDJSON export). */
export async function allLogs(url: string, token: string): Promise<JsonRecord[]> {
  const res = await fetch(`${url}/logs?limit=10000`, { headers: { authorization: `Bearer ${token}`, accept: 'application/x-ndjson' } });
  if (res.status !== 200) throw new Error(`GET /logs answered ${res.status}: ${await res.text()}`);
  return (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as JsonRecord);
}

export function makeRecords(n: number, prefix = 'line', service = 'payments'): object[] {
  return Array.from({ length: n }, (_, i) => ({ service, severity: i % 7 === 0 ? 'ERROR' : 'INFO', message: `${prefix} ${i}`, host: 'web-1', fields: { n: i } }));
}

/** The id the forwarded copy names as its origin (logwire sink: fields.logwire_id). */
export function originIds(records: JsonRecord[]): string[] {
  return records.map((r) => String(r.fields?.logwire_id));
}

/** The `sinks` key of a hub's /stats. */
export async function sinkStats(url: string, token: string): Promise<Array<import('../../../hub/sinks/sink.js').SinkStatus>> {
  const res = await fetch(`${url}/stats`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { sinks?: Array<import('../../../hub/sinks/sink.js').SinkStatus> };
  return body.sinks ?? [];
}

/** Fast batching and retries for tests. */
export const QUICK = { batch: { max_records: 200, max_wait_ms: 20 }, retry: { initial_ms: 50, max_ms: 400 } };
