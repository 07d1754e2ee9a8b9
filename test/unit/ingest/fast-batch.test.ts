/**
 * The ingest fast path (hub/ingest/fast-batch.ts, protocol/batch-scan.ts) stores exactly what the
 * ordinary path (decode → validate → append, store-batch.ts) stores: the same records, fields,
 * times, flags and labels, the same rejections with the same reasons and indexes. Random batches
 * mix plain records with every kind that must take the ordinary path (aliases, unknown keys,
 * lower-case or numeric severities, string and out-of-window times, long messages, invalid UTF-8,
 * bad labels, deep or odd fields, extension types, `__proto__`) and garbage.
 */
import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import type { HubContext } from '../../../hub/context.js';
import type { Principal } from '../../../hub/auth/tokens.js';
import { createMetrics } from '../../../hub/metrics.js';
import { DEFAULT_LIMITS } from '../../../hub/protocol/record.js';
import { decodeFrame, encodeFrame } from '../../../hub/protocol/index.js';
import { scanBatch } from '../../../hub/protocol/batch-scan.js';
import { storeScannedBatch } from '../../../hub/ingest/fast-batch.js';
import { storeBatch } from '../../../hub/ingest/store-batch.js';
import { LabelCache } from '../../../hub/ingest/label-cache.js';
import type { Store } from '../../../hub/store/types.js';
import { collect, rng, tempStore } from '../../helpers/store.js';

const NOW = Date.now();
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
/** msgpackr with its timestamp extension, to put extension types into fields. */
const extPackr = new Packr({ useRecords: false, moreTypes: true });

function deep(n: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = { d: v };
  return v;
}

/** One random record: mostly plain, often something only the ordinary path can store or reject. */
function randomRecord(r: () => number, i: number): unknown {
  const rec: Record<string, unknown> = { ts: NOW - Math.floor(r() * 1e9), service: pick(r, ['payments', 'auth', 'ünï', 'svc-1']), severity: pick(r, ['INFO', 'ERROR', 'WARN', 'DEBUG', 'TRACE', 'FATAL']), message: `m${i} ${'x'.repeat(Math.floor(r() * 300))}`, host: pick(r, ['h1', 'h2']) };
  if (r() < 0.5) rec.file = pick(r, ['/var/log/a.log', '/var/log/b.log']);
  if (r() < 0.4) rec.fields = { user: Math.floor(r() * 1e6), ok: r() < 0.5, nested: { list: [1, 'two', null, 3.5] }, '': 'empty key' };
  const odd = r() < 0.5 ? Math.floor(r() * 26) : -1;
  switch (odd) {
    case 0: rec.severity = 'info'; break;
    case 1: rec.severity = 30; break;
    case 2: rec.severity = 'LOUD'; break;
    case 3: rec.ts = new Date(NOW - 5000).toISOString(); break;
    case 4: rec.ts = NOW + 7 * 24 * 3600_000; break;
    case 5: rec.ts = (NOW - 1000) * 1e6; break; // ns epoch
    case 6: rec.ts = (NOW - 1000) / 1000; break; // seconds, fractional
    case 7: rec.ts = -5; break;
    case 8: rec.message = 'y'.repeat(70 * 1024); break; // truncated by the ordinary path
    case 9: rec.msg = rec.message; delete rec.message; break;
    case 10: rec.extra = 'kept in fields'; break;
    case 11: delete rec.service; break;
    case 12: rec.service = ''; break;
    case 13: rec.host = 'bad\nhost'; break;
    case 14: rec.fields = deep(40); break;
    case 15: rec.fields = [1, 2]; break;
    case 16: rec.fields = null; break;
    case 17: rec.truncated = true; break;
    case 18: rec.message = 42; break;
    case 19: delete rec.message; break;
    case 20: delete rec.host; break;
    case 21: delete rec.ts; break;
    case 22: rec.service = 's'.repeat(200); break;
    case 23: rec.level = 'ERROR'; delete rec.severity; break;
    case 24: rec.fields = { big: 'z'.repeat(9000) }; break;
    case 25: rec.fields = { when: new Date(NOW) }; break;
  }
  return rec;
}

/** A batch frame of random records, some of them raw bytes msgpackr would not write. */
function randomFrame(r: () => number, seq: number, n: number): Buffer {
  const records = Array.from({ length: n }, (_, i) => randomRecord(r, seq * 1000 + i));
  const hasExt = records.some((x) => (x as { fields?: { when?: unknown } }).fields?.when instanceof Date);
  const frame = hasExt ? extPackr.pack({ type: 'batch', seq, records }) : encodeFrame({ type: 'batch', seq, records: records as never });
  return frame;
}

/** Invalid UTF-8 inside a message: the bytes "m\xff" patched into a plain record. */
function frameWithInvalidUtf8(seq: number): Buffer {
  const f = encodeFrame({ type: 'batch', seq, records: [{ ts: NOW, service: 'a', severity: 'INFO', message: 'mQ', host: 'h' }] });
  const at = f.lastIndexOf(Buffer.from('mQ'));
  f[at + 1] = 0xff;
  return f;
}

function contextFor(store: Store): HubContext {
  return { store, metrics: createMetrics(), limits: DEFAULT_LIMITS, onStored: () => undefined } as unknown as HubContext;
}

const principal = { services: '*' } as Principal;

async function storedRecords(store: Store): Promise<unknown[]> {
  await store.indexed();
  // A record without ts gets its hub's clock, read separately by the two paths: compare as "now".
  return collect(store.query({}, { order: 'asc', by: 'receive' })).map(({ id: _id, rts: _rts, ...rest }) => ({ ...rest, ts: rest.ts >= NOW ? 'now' : rest.ts }));
}

describe('ingest fast path', () => {
  it('fast path - random batches store the same records and rejections as the ordinary path', async () => {
    const fast = await tempStore();
    const ordinary = await tempStore();
    const fctx = contextFor(fast.store);
    const octx = contextFor(ordinary.store);
    const labels = new LabelCache();
    const r = rng(2024);
    let plainFrames = 0;
    for (let seq = 1; seq <= 60; seq++) {
      const frame = seq % 20 === 0 ? frameWithInvalidUtf8(seq) : randomFrame(r, seq, 1 + Math.floor(r() * 40));
      const scanned = scanBatch(frame);
      expect(scanned, `frame ${seq} scans`).toBeDefined();
      plainFrames++;
      const decoded = extPackr.unpack(frame) as { records: unknown[] };
      const origin = { shipper: 'equiv', seq };
      const [a, b] = await Promise.all([
        storeScannedBatch(fctx, labels, principal, frame, scanned!, origin, undefined),
        storeBatch(octx, 'ws', principal, decoded.records, origin, undefined),
      ]);
      expect(a, `outcome of frame ${seq}`).toEqual(b);
    }
    expect(plainFrames).toBe(60);
    const [fa, oa] = [await storedRecords(fast.store), await storedRecords(ordinary.store)];
    expect(fa.length).toBeGreaterThan(500);
    for (let i = 0; i < fa.length; i++) expect(fa[i], `record ${i}`).toEqual(oa[i]);
  });

  it('fast path - mutated frames never throw; when both paths read one, they store the same', async () => {
    const fast = await tempStore();
    const ordinary = await tempStore();
    const fctx = contextFor(fast.store);
    const octx = contextFor(ordinary.store);
    const lctx = contextFor((await tempStore()).store);
    const labels = new LabelCache();
    const r = rng(77);
    let compared = 0;
    for (let k = 0; k < 400; k++) {
      const frame = Buffer.from(randomFrame(r, k + 1, 1 + Math.floor(r() * 6)));
      for (let flips = 1 + Math.floor(r() * 4); flips > 0; flips--) frame[Math.floor(r() * frame.length)] = Math.floor(r() * 256);
      const scanned = scanBatch(frame);
      if (!scanned || !Number.isSafeInteger(scanned.seq) || scanned.seq <= 0) continue;
      const generic = decodeFrame(frame);
      const origin = { shipper: `m${k}`, seq: scanned.seq };
      if (!generic.ok || generic.frame.type !== 'batch' || !Array.isArray((generic.frame as { records?: unknown }).records)) {
        // The ordinary decoder refuses the whole frame; the fast path may read it, and must not throw.
        await storeScannedBatch(lctx, labels, principal, frame, scanned, origin);
        continue;
      }
      const a = await storeScannedBatch(fctx, labels, principal, frame, scanned, origin);
      const b = await storeBatch(octx, 'ws', principal, (generic.frame as { records: unknown[] }).records, origin);
      expect(a, `outcome of mutated frame ${k}`).toEqual(b);
      compared++;
    }
    expect(compared).toBeGreaterThan(50);
    const [fa, oa] = [await storedRecords(fast.store), await storedRecords(ordinary.store)];
    expect(fa).toEqual(oa);
  });

  it('fast path - a host-less record gets the connection host, as on the ordinary path', async () => {
    const fast = await tempStore();
    const frame = encodeFrame({ type: 'batch', seq: 1, records: [{ ts: NOW, service: 'a', severity: 'INFO', message: 'no host' }] });
    const out = await storeScannedBatch(contextFor(fast.store), new LabelCache(), principal, frame, scanBatch(frame)!, { shipper: 'x', seq: 1 }, 'conn-host');
    expect(out.stored).toBe(1);
    expect((await storedRecords(fast.store))[0]).toMatchObject({ host: 'conn-host', message: 'no host' });
  });

  it('fast path - a token bound to services has other services rejected one by one', async () => {
    const fast = await tempStore();
    const frame = encodeFrame({ type: 'batch', seq: 1, records: [
      { ts: NOW, service: 'mine', severity: 'INFO', message: 'ok', host: 'h' },
      { ts: NOW, service: 'theirs', severity: 'INFO', message: 'no', host: 'h' },
    ] });
    const bound = { services: ['mine'] } as Principal;
    const out = await storeScannedBatch(contextFor(fast.store), new LabelCache(), bound, frame, scanBatch(frame)!, { shipper: 'x', seq: 1 });
    expect(out).toMatchObject({ stored: 1, rejected: [{ index: 1, reason: 'forbidden_service' }] });
  });

  it('fast path - frames that are not a batch in the usual shape are left to the ordinary decoder', () => {
    const ok = encodeFrame({ type: 'batch', seq: 3, records: [] });
    expect(scanBatch(ok)).toMatchObject({ seq: 3, count: 0 });
    expect(scanBatch(encodeFrame({ type: 'hello', shipper: 'a', version: 1 }))).toBeUndefined();
    expect(scanBatch(encodeFrame({ seq: 3, type: 'batch', records: [] }))).toBeUndefined(); // other key order
    expect(scanBatch(ok.subarray(0, ok.length - 1))).toBeUndefined(); // truncated
    expect(scanBatch(Buffer.concat([ok, Buffer.from([0xc0])]))).toBeUndefined(); // trailing bytes
    const many = encodeFrame({ type: 'batch', seq: 3, records: [{ message: 'a' }, { message: 'b' }] });
    expect(scanBatch(many.subarray(0, many.length - 2))).toBeUndefined(); // ends inside a record
    const lying = Buffer.from(ok);
    lying[lying.length - 1] = 0xdd; // array32 claiming more records than bytes
    expect(scanBatch(Buffer.concat([lying, Buffer.from([0xff, 0xff, 0xff, 0xff])]))).toBeUndefined();
  });
});
