/**
 * Event times by magnitude (docs/time.md) against a real hub: s, ms, µs and ns epochs are the
 * same instant; times before 1970 or more than 24 h ahead are rejected alone; a store written by
 * an older hub (µs/ns epochs stored as ms, as 9-byte varints) reads back on every path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';
import { openTail } from '../live/tail-client.js';
import { waitFor } from '../../helpers/wait.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
});

async function hub(dataDir?: string): Promise<TestHub> {
  const h = await startTestHub(dataDir ? { dataDir } : {});
  hubs.push(h);
  return h;
}

async function get(h: TestHub, path: string, accept = 'application/json'): Promise<{ status: number; text: string }> {
  const res = await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${h.token}`, accept } });
  return { status: res.status, text: await res.text() };
}

const INSTANT = Date.UTC(2024, 11, 1, 12, 0, 0, 123);
const FORMAT1_FIXTURE = fileURLToPath(new URL('../../fixtures/format1-ns-epochs', import.meta.url));

describe('ingest times', () => {
  it('ingest times - s, ms, µs and ns epochs are read by magnitude to the same instant', async () => {
    const h = await hub();
    const c = await connectIngest(h.wsUrl, h.token);
    await handshake(c, 'times');
    c.send({ type: 'batch', seq: 1, records: [
      { service: 'zerolog', message: 's', ts: INSTANT / 1000 },
      { service: 'zerolog', message: 'ms', ts: INSTANT },
      { service: 'zerolog', message: 'us', ts: INSTANT * 1000 },
      { service: 'zerolog', message: 'ns', ts: INSTANT * 1_000_000 },
      { service: 'zerolog', message: 'ns string', ts: `${INSTANT}000000` },
    ] });
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 1, stored: 5, rejected: [] });
    c.close();
    const body = JSON.parse((await get(h, '/logs?service=zerolog&order=asc')).text);
    expect(body.logs.map((l: { timestamp: string }) => l.timestamp)).toEqual(Array(5).fill(new Date(INSTANT).toISOString()));
  });

  it('ingest times - before 1970 or over 24 h ahead is invalid_timestamp; a number as message is invalid_message', async () => {
    const h = await hub();
    const now = Date.now();
    const records = [
      { message: 'ok', ts: now + 23 * 3_600_000 },
      { message: 'too far ahead', ts: now + 25 * 3_600_000 },
      { message: 'five years ahead', ts: new Date(now + 5 * 365 * 86_400_000).toISOString() },
      { message: 'before 1970', ts: '1969-12-31T23:59:59Z' },
      { message: 'negative', ts: -5 },
      { message: 42 },
      { message: true },
      { message: 'last ok' },
    ];
    const res = await fetch(`${h.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body: JSON.stringify(records) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ saved: 2, rejected: [
      { index: 1, reason: 'invalid_timestamp' },
      { index: 2, reason: 'invalid_timestamp' },
      { index: 3, reason: 'invalid_timestamp' },
      { index: 4, reason: 'invalid_timestamp' },
      { index: 5, reason: 'invalid_message' },
      { index: 6, reason: 'invalid_message' },
    ] });
  });

  it('ingest times - a store an older hub wrote with ns/µs epochs as ms reads back on every path', async () => {
    // A format-1 store (before the write-ahead log) written by the hub of that time, which took
    // these raw numbers as ms (9-byte zigzag deltas): [ns, µs, 1e16, 3.5e16, ms] of one instant,
    // the last in a stream of its own (test/fixtures/format1-ns-epochs, made with commit 8a967e5).
    const dir = tempDir();
    cpSync(FORMAT1_FIXTURE, dir, { recursive: true });
    const h = await hub(dir);
    await waitFor(async () => JSON.parse((await get(h, '/health')).text).store.index_lag_records === 0, { timeoutMs: 10_000, what: 'the legacy records indexed' });
    for (const path of ['/logs', '/logs?service=legacy', '/logs/legacy', '/stats', '/hosts', '/hosts/old-host', '/hosts/old-host/files', '/hosts/old-host/logs', `/logs?service=legacy&from=2024-01-01&to=${new Date(Date.now() + 3_600_000).toISOString()}`]) {
      const r = await get(h, path);
      expect(r.status, `${path}: ${r.text}`).toBe(200);
    }
    const logs = JSON.parse((await get(h, '/logs?service=legacy&order=asc')).text);
    expect(logs.count).toBe(5);
    const iso = new Date(INSTANT).toISOString();
    const byMessage = new Map<string, { id: string; timestamp: string }>(logs.logs.map((l: { message: string; id: string; timestamp: string }) => [l.message, l]));
    expect(byMessage.get('legacy 0')?.timestamp).toBe(iso); // ns
    expect(byMessage.get('legacy 1')?.timestamp).toBe(iso); // µs
    expect(byMessage.get('legacy 4')?.timestamp).toBe(iso); // ms
    const inRange = JSON.parse((await get(h, `/logs?service=legacy&from=${iso}&to=${iso}`)).text);
    expect(inRange.count).toBe(3);
    const ndjson = await get(h, '/logs?service=legacy', 'application/x-ndjson');
    expect(ndjson.status).toBe(200);
    expect(ndjson.text.trim().split('\n')).toHaveLength(5);
    const stats = JSON.parse((await get(h, '/stats')).text);
    expect(stats.logs_per_service.legacy).toBe(5);
    expect(Date.parse(stats.last_log_per_service.legacy)).toBeLessThan(Date.now() + 86_400_000);
    const tail = await openTail(h.wsUrl, { after: byMessage.get('legacy 0')!.id, service: 'legacy' }, h.token);
    await tail.waitRecords(4);
    expect(tail.records.map((r) => r.message)).toEqual(['legacy 1', 'legacy 2', 'legacy 3', 'legacy 4']);
    await tail.close();
  });
});
