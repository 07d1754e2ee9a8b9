import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { api, startQueryHub, TOKENS, type Api } from './setup.js';

let hub: TestHub;
let a: Api;

interface Row { id: string; timestamp: string; message: string; service: string }
const BASE = Date.parse('2025-06-01T00:00:00Z');

/** Records whose event times are out of receive order, with exact ties. */
function rec(i: number, service = 'svc-order'): Record<string, unknown> {
  return { timestamp: new Date(BASE + ((i * 7919) % 50) * 1000).toISOString(), service, severity: 'INFO', message: `m${i}` };
}

function expected(rows: Row[], order: 'asc' | 'desc'): string[] {
  const s = [...rows].sort((x, y) => Date.parse(x.timestamp) - Date.parse(y.timestamp) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  if (order === 'desc') s.reverse();
  return s.map((r) => r.message);
}

async function pageAll(query: string, limit: number, between?: (page: number) => Promise<void>): Promise<Row[]> {
  const out: Row[] = [];
  let cursor: string | null = null;
  for (let n = 0; ; n++) {
    const r = await a.get(`/logs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, TOKENS.read);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...r.body.logs);
    await between?.(n);
    cursor = r.body.next_cursor;
    if (!cursor) return out;
  }
}

beforeAll(async () => {
  hub = await startQueryHub();
  a = api(hub);
  for (let b = 0; b < 4; b++) await a.post(Array.from({ length: 50 }, (_, j) => rec(b * 50 + j)));
});
afterAll(async () => hub?.close());

describe('query/event-order', () => {
  it('query/event-order - GET /logs lists by timestamp (newest first by default, ties by id); order=asc oldest first', async () => {
    const all: Row[] = (await a.get('/logs?service=svc-order&limit=1000', TOKENS.read)).body.logs;
    expect(all).toHaveLength(200);
    expect(all.map((r) => r.message)).toEqual(expected(all, 'desc'));
    const asc: Row[] = (await a.get('/logs?service=svc-order&limit=1000&order=asc', TOKENS.read)).body.logs;
    expect(asc.map((r) => r.message)).toEqual(expected(all, 'asc'));
  });

  it('query/event-order - cursors cover every match exactly once across ties, in both orders', async () => {
    const all: Row[] = (await a.get('/logs?service=svc-order&limit=1000', TOKENS.read)).body.logs;
    for (const order of ['asc', 'desc'] as const) {
      const paged = await pageAll(`service=svc-order&order=${order}`, 9);
      expect(paged.map((r) => r.message)).toEqual(expected(all, order));
    }
  });

  it('query/event-order - a backfilled old file and new lines arriving while paging: each listed once or not at all, in order', async () => {
    const svc = 'svc-backfill';
    await a.post(Array.from({ length: 60 }, (_, i) => ({ timestamp: new Date(BASE + i * 1000).toISOString(), service: svc, severity: 'INFO', message: `live${i}` })));
    const paged = await pageAll(`service=${svc}`, 10, async (page) => {
      if (page !== 2) return;
      // Older than every page so far: must appear later, once. Newer than the cursor: must not appear.
      await a.post(Array.from({ length: 25 }, (_, i) => ({ timestamp: new Date(BASE - 86_400_000 + i).toISOString(), service: svc, severity: 'INFO', message: `old${i}` })));
      await a.post([{ timestamp: new Date(BASE + 10 * 86_400_000).toISOString(), service: svc, severity: 'INFO', message: 'future' }]);
    });
    const msgs = paged.map((r) => r.message);
    expect(new Set(msgs).size).toBe(msgs.length);
    expect(msgs).toHaveLength(85);
    expect(msgs.slice(60)).toEqual(Array.from({ length: 25 }, (_, i) => `old${24 - i}`));
    expect(msgs).not.toContain('future');
    for (let i = 1; i < paged.length; i++) expect(Date.parse(paged[i].timestamp)).toBeLessThanOrEqual(Date.parse(paged[i - 1].timestamp));
  });

  it('query/event-order - GET /logs/:service gives the newest by event time, not the last received', async () => {
    const svc = 'svc-newest';
    await a.post([1, 2, 3].map((i) => ({ timestamp: new Date(BASE + i * 60_000).toISOString(), service: svc, severity: 'INFO', message: `new${i}` })));
    await a.post([1, 2].map((i) => ({ timestamp: new Date(BASE - i * 86_400_000).toISOString(), service: svc, severity: 'INFO', message: `late-old${i}` })));
    const r = await a.get(`/logs/${svc}?limit=2`, TOKENS.read);
    expect(r.body.logs.map((l: Row) => l.message)).toEqual(['new2', 'new3']);
    const desc = await a.get(`/logs/${svc}?limit=2&order=desc`, TOKENS.read);
    expect(desc.body.logs.map((l: Row) => l.message)).toEqual(['new3', 'new2']);
  });

  it('query/event-order - after=<id> lists in receive order, as a live tail replays', async () => {
    const all: Row[] = (await a.get('/logs?service=svc-order&limit=1000&order=asc', TOKENS.read)).body.logs;
    const byId = [...all].sort((x, y) => (x.id < y.id ? -1 : 1));
    const r = await a.get(`/logs?service=svc-order&order=asc&after=${byId[10].id}&limit=20`, TOKENS.read);
    expect(r.body.logs.map((l: Row) => l.id)).toEqual(byId.slice(11, 31).map((x) => x.id));
    const next = await a.get(`/logs?service=svc-order&cursor=${r.body.next_cursor}&limit=5`, TOKENS.read);
    expect(next.body.logs.map((l: Row) => l.id)).toEqual(byId.slice(31, 36).map((x) => x.id));
  });

  it('query/event-order - NDJSON export streams every match by event time', async () => {
    const res = await fetch(`${hub.url}/logs?service=svc-order&order=asc`, { headers: { authorization: `Bearer ${TOKENS.read}`, accept: 'application/x-ndjson' } });
    const rows: Row[] = (await res.text()).split('\n').filter((l) => l).map((l) => JSON.parse(l));
    expect(rows.map((r) => r.message)).toEqual(expected(rows, 'asc'));
    expect(rows).toHaveLength(200);
  });
});
