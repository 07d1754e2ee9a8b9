import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { EXPORT_PAGE_RECORDS } from '../../../hub/query/ndjson-export.js';
import { api, ingestMany, startQueryHub, TOKENS, type Api } from './setup.js';

const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const BULK = 12_000;
const PAD = 'x'.repeat(1500);

let hub: TestHub;
let a: Api;

interface Page { count: number; logs: Array<{ id: string; message: string }>; next_cursor: string | null }

async function page(path: string): Promise<Page> {
  const r = await a.get(path, TOKENS.read);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as Page;
}

async function exportNdjson(query: string): Promise<Array<{ id: string; message: string; severity: string }>> {
  const res = await fetch(`${hub.url}/logs?${query}`, { headers: { authorization: `Bearer ${TOKENS.read}`, accept: 'application/x-ndjson' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-ndjson');
  const text = await res.text();
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

/** Pages through GET /logs with `limit` until next_cursor is null; optionally runs `between` after each page. */
async function pageAll(query: string, limit: number, between?: (n: number) => Promise<void>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let n = 0; ; n++) {
    const p: Page = await page(`/logs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(p.count).toBe(p.logs.length);
    expect(p.count).toBeLessThanOrEqual(limit);
    ids.push(...p.logs.map((l) => l.id));
    if (p.next_cursor === null) return ids;
    expect(p.count).toBe(limit);
    cursor = p.next_cursor;
    if (between) await between(n);
  }
}

function expectStrictlyOrdered(ids: string[], order: 'asc' | 'desc'): void {
  for (let i = 1; i < ids.length; i++) {
    if (order === 'asc' ? !(ids[i - 1] < ids[i]) : !(ids[i - 1] > ids[i])) {
      throw new Error(`ids out of ${order} order at ${i}: ${ids[i - 1]} then ${ids[i]}`);
    }
  }
}

beforeAll(async () => {
  hub = await startQueryHub();
  a = api(hub);
  await ingestMany(a, BULK, (i) => ({ service: 'bulk', severity: SEVERITIES[i % 6], message: `bulk ${i} ${PAD}` }), 500);
}, 120_000);
afterAll(() => hub?.close());

/** Counts the history pages the hub fetches (the export's reads), until restored. */
function countHistoryPages(): { pages: number; restore(): void } {
  const history = hub.hub.ctx.history;
  const original = history.query.bind(history);
  const counter = {
    pages: 0,
    restore: () => {
      history.query = original;
    },
  };
  history.query = (q) => {
    counter.pages++;
    return original(q);
  };
  return counter;
}

describe('query/paging', () => {
  it('query/paging - asc pages cover every match exactly once while records keep arriving', async () => {
    await ingestMany(a, 1000, (i) => ({ service: 'pager', message: `seed ${i}` }));
    let added = 0;
    const ids = await pageAll('service=pager&order=asc', 97, async (n) => {
      // Ingest between pages for the first 15 pages: these land after the cursor and must appear once.
      if (n < 15) {
        await a.post([{ service: 'pager', message: `during ${n}a` }, { service: 'other', message: 'noise' }, { service: 'pager', message: `during ${n}b` }]);
        added += 2;
      }
    });
    expect(ids.length).toBe(1000 + added);
    expect(new Set(ids).size).toBe(ids.length);
    expectStrictlyOrdered(ids, 'asc');
    const all = (await exportNdjson('service=pager&order=asc')).map((r) => r.id);
    expect(ids).toEqual(all);
  });

  it('query/paging - desc pages cover every match that existed when paging began, exactly once', async () => {
    const first = await page('/logs?service=pager&limit=1');
    const ids = await pageAll('service=pager&order=desc', 89, async (n) => {
      if (n < 10) await a.post([{ service: 'pager', message: `desc-during ${n}` }]);
    });
    expect(new Set(ids).size).toBe(ids.length);
    expectStrictlyOrdered(ids, 'desc');
    const all = (await exportNdjson('service=pager')).map((r) => r.id);
    const first0 = ids[0];
    // Everything at or below the first page's newest id, nothing missing.
    expect(ids).toEqual(all.filter((id) => id <= first0));
    expect(first0 >= first.logs[0].id).toBe(true);
  });

  it('query/paging - pages stay exact while another client ingests at full speed', async () => {
    let stop = false;
    let posted = 0;
    const writer = (async () => {
      for (let i = 0; !stop && posted < 6000; i++) {
        await a.post(Array.from({ length: 50 }, (_, j) => ({ service: 'racer', severity: j % 2 ? 'ERROR' : 'INFO', message: `race ${i}-${j}` })));
        posted += 50;
      }
    })();
    try {
      await waitFor(() => posted >= 500, { what: 'the writer to get going' });
      // The writer caps itself so an ascending listing always reaches its end.
      const desc = await pageAll('service=racer&severity=ERROR&order=desc', 37);
      expect(new Set(desc).size).toBe(desc.length);
      expectStrictlyOrdered(desc, 'desc');
      const asc = await pageAll('service=racer&severity=ERROR&order=asc', 41);
      expect(new Set(asc).size).toBe(asc.length);
      expectStrictlyOrdered(asc, 'asc');
      stop = true;
      await writer;
      const all = (await exportNdjson('service=racer&severity=ERROR&order=asc')).map((r) => r.id);
      expect(all.length).toBe(posted / 2);
      // Each listing is exactly a contiguous run of the final one: nothing skipped, nothing twice.
      expect(asc).toEqual(all.slice(0, asc.length));
      expect([...desc].reverse()).toEqual(all.slice(0, desc.length));
    } finally {
      stop = true;
      await writer;
    }
  });

  it('query/paging - cursors keep their filter-independent position and order', async () => {
    const p1 = await page('/logs?service=bulk&order=asc&limit=3');
    const p2 = await page(`/logs?service=bulk&limit=3&cursor=${p1.next_cursor}`);
    expect(p2.logs.map((l) => l.message.split(' ').slice(0, 2).join(' '))).toEqual(['bulk 3', 'bulk 4', 'bulk 5']);
    const bad = await a.get(`/logs?service=bulk&order=desc&cursor=${p1.next_cursor}`);
    expect(bad.status).toBe(400);
    expect(bad.body.param).toBe('order');
    // A record id works as a raw starting point too (`after`).
    const p3 = await page(`/logs?service=bulk&order=asc&limit=2&after=${p2.logs[2].id}`);
    expect(p3.logs.map((l) => l.message.split(' ')[1])).toEqual(['6', '7']);
  });

  it('query/paging - severity-filtered pages over the bulk set', async () => {
    const ids = await pageAll('service=bulk&severity=ERROR%2B&order=asc', 1000);
    expect(ids.length).toBe(BULK / 3);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('query/ndjson', () => {
  it('query/ndjson - streams every match, more than the 10000-row page cap', async () => {
    const rows = await exportNdjson('service=bulk');
    expect(rows.length).toBe(BULK);
    expect(new Set(rows.map((r) => r.id)).size).toBe(BULK);
    expectStrictlyOrdered(rows.map((r) => r.id), 'desc');
    expect(rows[0].message.startsWith(`bulk ${BULK - 1} `)).toBe(true);
    const asc = await exportNdjson('service=bulk&order=asc');
    expect(asc.map((r) => r.id)).toEqual(rows.map((r) => r.id).reverse());
  });

  it('query/ndjson - honours filters, an explicit limit of any size, and a cursor', async () => {
    const errors = await exportNdjson('service=bulk&severity=ERROR');
    expect(errors.length).toBe(BULK / 6);
    expect(errors.every((r) => r.severity === 'ERROR')).toBe(true);
    expect((await exportNdjson('service=bulk&limit=5')).length).toBe(5);
    expect((await exportNdjson('service=bulk&limit=50000')).length).toBe(BULK);
    const p1 = await page('/logs?service=bulk&limit=10');
    expect((await exportNdjson(`service=bulk&cursor=${p1.next_cursor}`)).length).toBe(BULK - 10);
    expect(await exportNdjson('service=nothing-here')).toEqual([]);
  });

  it('query/ndjson - errors come before the stream, as JSON', async () => {
    const res = await fetch(`${hub.url}/logs?severity=LOUD`, { headers: { authorization: `Bearer ${TOKENS.read}`, accept: 'application/x-ndjson' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'HUB_ERR_BAD_PARAM', param: 'severity' });
    const lim = await fetch(`${hub.url}/logs?limit=0`, { headers: { authorization: `Bearer ${TOKENS.read}`, accept: 'application/x-ndjson' } });
    expect(lim.status).toBe(400);
  });

  it('query/ndjson - a reader that stops reading stalls only its own export, which resumes intact', async () => {
    const counter = countHistoryPages();
    try {
      const sock = await rawExport('service=bulk&order=asc');
      sock.pause();
      // Let the hub fill the socket buffers, then check it stopped fetching pages.
      let last = -1;
      await waitFor(async () => {
        await new Promise((r) => setTimeout(r, 250));
        const stable = counter.pages === last;
        last = counter.pages;
        return stable && counter.pages > 0;
      }, { timeoutMs: 15_000, what: 'the export to stall' });
      expect(counter.pages * EXPORT_PAGE_RECORDS).toBeLessThan(BULK);
      // The hub still answers others meanwhile.
      expect((await page('/logs?service=bulk&limit=1')).count).toBe(1);
      const body = await readAll(sock);
      const lines = body.split('\r\n\r\n').slice(1).join('\r\n\r\n').split('\n').filter((l) => l.startsWith('{'));
      expect(lines.length).toBe(BULK);
      expect(JSON.parse(lines[BULK - 1]).message.startsWith(`bulk ${BULK - 1} `)).toBe(true);
    } finally {
      counter.restore();
    }
  });

  it('query/ndjson - a client that goes away ends the export', async () => {
    const counter = countHistoryPages();
    try {
      const sock = await rawExport('service=bulk');
      sock.pause();
      await waitFor(() => counter.pages > 0, { what: 'the export to start' });
      sock.destroy();
      await new Promise((r) => setTimeout(r, 300));
      const after = counter.pages;
      await new Promise((r) => setTimeout(r, 300));
      expect(counter.pages).toBe(after);
      expect(counter.pages * EXPORT_PAGE_RECORDS).toBeLessThan(BULK);
      const health = await fetch(`${hub.url}/health`);
      expect(health.status).toBe(200);
    } finally {
      counter.restore();
    }
  });
});

/** Opens GET /logs with Accept: application/x-ndjson over a raw socket (HTTP/1.1, chunked). */
function rawExport(query: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect(hub.port, '127.0.0.1', () => {
      sock.write(`GET /logs?${query} HTTP/1.1\r\nHost: 127.0.0.1:${hub.port}\r\nAuthorization: Bearer ${TOKENS.read}\r\nAccept: application/x-ndjson\r\nConnection: close\r\n\r\n`);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

/** Reads the socket to its end and returns the body with chunked framing removed. */
function readAll(sock: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.once('error', reject);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const raw = Buffer.concat(chunks).toString('utf8');
      const headEnd = raw.indexOf('\r\n\r\n');
      resolve(raw.slice(0, headEnd + 4) + dechunk(raw.slice(headEnd + 4)));
    };
    sock.once('end', finish);
    // uWS keeps the connection open after the terminating chunk; stop at the terminator.
    sock.on('data', () => {
      const tail = Buffer.concat(chunks.slice(-2)).toString('latin1');
      if (tail.endsWith('\r\n0\r\n\r\n')) {
        sock.destroy();
        finish();
      }
    });
    sock.resume();
  });
}

function dechunk(body: string): string {
  const buf = Buffer.from(body, 'utf8');
  let out = '';
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(i, eol).toString('latin1'), 16);
    if (!size) break;
    out += buf.subarray(eol + 2, eol + 2 + size).toString('utf8');
    i = eol + 2 + size + 2;
  }
  return out;
}
