import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { api, startQueryHub, TOKENS, type Api } from './setup.js';

let hub: TestHub;
let a: Api;

const BASE = Date.parse('2025-06-01T00:00:00Z');
const SEVS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
interface Rec { ts: number; service: string; severity: string; message: string; host: string }
const recs: Rec[] = [];

/** What GET /logs/volume must answer, counted from the records themselves. */
function model(step: number, keep: (r: Rec) => boolean, from: number, to: number): Array<{ t: string; counts: Record<string, number> }> {
  const out: Array<{ t: string; counts: Record<string, number> }> = [];
  const order = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
  for (let t = Math.floor(from / step) * step; t <= Math.floor(to / step) * step; t += step) {
    const c: Record<string, number> = {};
    for (const r of recs) if (keep(r) && r.ts >= Math.max(t, from) && r.ts < t + step && r.ts <= to) c[r.severity] = (c[r.severity] ?? 0) + 1;
    const ordered: Record<string, number> = {};
    for (const s of order) if (c[s]) ordered[s] = c[s];
    out.push({ t: new Date(t).toISOString(), counts: ordered });
  }
  return out;
}

async function volume(q: string): Promise<{ step: string; buckets: Array<{ t: string; counts: Record<string, number> }> }> {
  const r = await a.get(`/logs/volume?${q}`, TOKENS.read);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

beforeAll(async () => {
  hub = await startQueryHub();
  a = api(hub);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let b = 0; b < 5; b++) {
    const batch: Rec[] = [];
    for (let i = 0; i < 200; i++) {
      // Three hours of event time, sent out of order (batches are not in time order).
      batch.push({ ts: BASE + Math.floor(rand() * 3 * 3_600_000), service: rand() < 0.5 ? 'vol-a' : 'vol-b', severity: SEVS[Math.floor(rand() * 4)], message: rand() < 0.1 ? 'needle here' : 'hay', host: `h${b % 2}` });
    }
    recs.push(...batch);
    await a.post(batch.map((r) => ({ ...r, timestamp: new Date(r.ts).toISOString(), ts: undefined })));
  }
});
afterAll(async () => hub?.close());

describe('query/volume', () => {
  const all = () => true;
  const first = () => Math.min(...recs.map((r) => r.ts));
  const last = () => Math.max(...recs.map((r) => r.ts));

  it('query/volume - counts per event-time bucket and severity, empty buckets included', async () => {
    const from = new Date(BASE).toISOString();
    const to = new Date(BASE + 3 * 3_600_000 - 1).toISOString();
    const v = await volume(`from=${from}&to=${to}&step=15m`);
    expect(v.step).toBe('15m');
    expect(v.buckets).toHaveLength(12);
    expect(v.buckets).toEqual(model(900_000, all, BASE, BASE + 3 * 3_600_000 - 1));
    const total = v.buckets.reduce((n, b) => n + Object.values(b.counts).reduce((x, y) => x + y, 0), 0);
    expect(total).toBe(1000);
  });

  it('query/volume - time bounds inside minutes count exactly (index for whole minutes, records at the edges)', async () => {
    const from = BASE + 37 * 60_000 + 12_345;
    const to = BASE + 131 * 60_000 + 44_321;
    const v = await volume(`from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&step=5m`);
    expect(v.buckets).toEqual(model(300_000, all, from, to));
    const tiny = await volume(`from=${new Date(from).toISOString()}&to=${new Date(from + 20_000).toISOString()}&step=1m`);
    expect(tiny.buckets).toEqual(model(60_000, all, from, from + 20_000));
  });

  it('query/volume - label, text and receive-time filters apply; steps under a minute count from records', async () => {
    const fromTo = `from=${new Date(BASE).toISOString()}&to=${new Date(BASE + 3 * 3_600_000 - 1).toISOString()}`;
    const end = BASE + 3 * 3_600_000 - 1;
    expect((await volume(`${fromTo}&step=30m&service=vol-a&severity=ERROR`)).buckets).toEqual(model(1_800_000, (r) => r.service === 'vol-a' && r.severity === 'ERROR', BASE, end));
    expect((await volume(`${fromTo}&step=30m&severity=WARN%2B`)).buckets).toEqual(model(1_800_000, (r) => r.severity === 'WARN' || r.severity === 'ERROR', BASE, end));
    expect((await volume(`${fromTo}&step=1h&q=needle`)).buckets).toEqual(model(3_600_000, (r) => r.message.includes('needle'), BASE, end));
    expect((await volume(`${fromTo}&step=1h&host=h1`)).buckets).toEqual(model(3_600_000, (r) => r.host === 'h1', BASE, end));
    expect((await volume(`${fromTo}&step=1h&received_from=2000-01-01`)).buckets).toEqual(model(3_600_000, all, BASE, end));
    const s = BASE + 3_600_000;
    expect((await volume(`from=${new Date(s).toISOString()}&to=${new Date(s + 119_999).toISOString()}&step=20s`)).buckets).toEqual(model(20_000, all, s, s + 119_999));
  });

  it('query/volume - without step the range picks one giving a sensible number of buckets', async () => {
    const v = await volume('service=vol-a,vol-b');
    expect(v.step).toBe('2m');
    expect(v.buckets.length).toBeGreaterThan(30);
    expect(v.buckets.length).toBeLessThanOrEqual(120);
    const step = 120_000;
    const lo = Math.floor(first() / 60_000) * 60_000;
    const hi = Math.floor(last() / 60_000) * 60_000 + 59_999;
    expect(v.buckets).toEqual(model(step, all, lo, hi));
    const day = await volume('from=2025-05-01&to=2025-05-31');
    expect(day.step).toBe('12h');
    expect(day.buckets.every((b) => Object.keys(b.counts).length === 0)).toBe(true);
    expect(await volume('service=nobody')).toEqual({ step: '1m', buckets: [] });
  });

  it('query/volume - bad step, too many buckets and unknown parameters are a 400 naming them', async () => {
    for (const [q, param] of [['step=abc', 'step'], ['step=0s', 'step'], ['step=500ms', 'step'], ['from=2020-01-01&to=2025-01-01&step=1m', 'step'], ['severity=LOUD', 'severity'], ['limit=5', 'limit'], ['from=yesterdayish', 'from']]) {
      const r = await a.get(`/logs/volume?${q}`, TOKENS.read);
      expect(r.status, q).toBe(400);
      expect(r.body.param, q).toBe(param);
    }
    expect((await a.get('/logs/volume', null)).status).toBe(401);
  });
});
