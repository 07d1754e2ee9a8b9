/**
 * Receiver tests: a real hub with one ingest+read token, and reading records back through
 * GET /logs (the way a user sees them), waiting until the expected number arrived.
 */
import type { JsonRecord } from '../../hub/protocol/record.js';
import { startTestHub, type TestHub } from './hub.js';
import type { HubConfigInput } from '../../hub/config.js';
import { waitFor } from './wait.js';

export const RECEIVER_TOKEN = 'receiver-test-token-0123456789';

export function startReceiverHub(config: HubConfigInput = {}): Promise<TestHub> {
  return startTestHub({ tokens: [{ token: RECEIVER_TOKEN, name: 'agent', scopes: ['ingest', 'read', 'admin'], services: '*' }], config });
}

/** GET /logs with the given filters, sorted by event time. */
export async function getLogs(hub: TestHub, params: Record<string, string> = {}): Promise<JsonRecord[]> {
  const q = new URLSearchParams({ order: 'asc', limit: '10000', ...params });
  const res = await fetch(`${hub.url}/logs?${q}`, { headers: { authorization: `Bearer ${RECEIVER_TOKEN}` } });
  if (res.status !== 200) throw new Error(`GET /logs answered ${res.status}: ${await res.text()}`);
  const logs = ((await res.json()) as { logs: JsonRecord[] }).logs;
  // Requests sent concurrently may be stored in either order: compare by event time.
  return logs.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

/** Waits until GET /logs returns at least `count` records for the filters; returns them. */
export function waitForLogs(hub: TestHub, count: number, params: Record<string, string> = {}, timeoutMs = 10_000): Promise<JsonRecord[]> {
  return waitFor(async () => {
    const logs = await getLogs(hub, params);
    return logs.length >= count ? logs : undefined;
  }, { timeoutMs, what: `${count} record(s) in GET /logs?${new URLSearchParams(params)}` });
}

/** A recent event time with a non-zero millisecond part, to check ms precision end to end. */
export function eventTime(offsetMs = 0): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 123 + offsetMs);
}

/** Value of one Prometheus sample from /metrics, e.g. metric('logwire_receiver_stored_records_total', {protocol: 'loki'}). */
export async function metricValue(hub: TestHub, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const labelPart = line.slice(name.length + 1, line.indexOf('}'));
    if (want.every((w) => labelPart.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/**
 * Waits until a /metrics sample reaches `atLeast` and returns it (a request's counters are
 * bumped just after its records become visible, so a read right after may be early).
 */
export function waitForMetric(hub: TestHub, name: string, labels: Record<string, string>, atLeast: number): Promise<number> {
  return waitFor(async () => {
    const v = await metricValue(hub, name, labels);
    return v >= atLeast ? v : undefined;
  }, { what: `${name}${JSON.stringify(labels)} >= ${atLeast}` }).catch(() => metricValue(hub, name, labels));
}
