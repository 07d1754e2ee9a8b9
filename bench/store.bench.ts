/**
 * Store micro-benchmarks (hub/store): acked append throughput by batch size (4 concurrent
 * appenders, as 4 connections would), id/key encoding, the chunk codec, and the query shapes of
 * issue 2 over a prepared store of LW_BENCH_RECORDS (default 1,000,000) ~200-byte records
 * (bench/store-workload.ts: 8 services, skewed severities, 4 hosts, plain / JSON-field /
 * stack-trace lines, 10 records with a rare token). Real LMDB in a temp dir, fsync on.
 *
 * Run:  npx vitest bench bench/store.bench.ts
 *       LW_BENCH_RECORDS=200000 npx vitest bench bench/store.bench.ts   (quicker)
 * Records/s for append = hz × 4 × batch size. Bytes on disk per input byte and the prepared
 * store's ingest rate are printed once. Not part of the test suite (`vitest run` ignores it).
 * Give the hardware with every figure (lmdb-js README "Benchmarks").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import type { ValidRecord } from '../hub/protocol/record.js';
import { decodeChunk, encodeChunk, parseChunk } from '../hub/store/chunk.js';
import { makeId, parseId } from '../hub/protocol/ids.js';
import { chunkKey, groupKey, parseChunkKey } from '../hub/store/keys.js';
import { openStore } from '../hub/store/store.js';
import type { Store } from '../hub/store/types.js';
import { RARE_TOKEN, inputBytes, makeWorkload } from './store-workload.js';

const RECORDS = Number(process.env.LW_BENCH_RECORDS ?? 1_000_000);
const dirs: string[] = [];
const stores: Store[] = [];

async function freshStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'logwire-bench-'));
  dirs.push(dir);
  const s = await openStore({ dir });
  stores.push(s);
  return s;
}

afterAll(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Appends `recs` from 4 concurrent appenders, each keeping up to 4 batches in flight. */
async function ingest(store: Store, recs: ValidRecord[], batch: number): Promise<void> {
  let next = 0;
  const conn = async (c: number) => {
    let seq = store.ackedSeq(`bench-${c}`);
    const window = new Set<Promise<unknown>>();
    while (next < recs.length) {
      const start = next;
      next += batch;
      const p: Promise<unknown> = store.append(recs.slice(start, start + batch), { shipper: `bench-${c}`, seq: ++seq }).then(() => window.delete(p));
      window.add(p);
      if (window.size >= 4) await Promise.race(window);
    }
    await Promise.all(window);
  };
  await Promise.all([0, 1, 2, 3].map(conn));
}

describe('append (4 appenders)', () => {
  const pool = makeWorkload(40_000, 7);
  for (const size of [10, 100, 1000, 10_000]) {
    let store: Store;
    let at = 0;
    bench(
      `append batch ${size} ×4 concurrent`,
      async () => {
        const batches = [0, 1, 2, 3].map((k) => {
          const start = (at + k * size) % (pool.length - size);
          return pool.slice(start, start + size);
        });
        at += 4 * size;
        await Promise.all(batches.map((b) => store.append(b)));
      },
      { setup: async () => void (store = await freshStore()), time: 2000 },
    );
  }
});

describe('ids and keys', () => {
  const id = makeId(1_732_000_000_000, 'ab3de', 123_456_789);
  bench('makeId', () => void makeId(1_732_000_000_000, 'ab3de', 123_456_789));
  bench('parseId', () => void parseId(id));
  bench('chunkKey + parse', () => void parseChunkKey(chunkKey(17, 123_456_789)));
  bench('groupKey', () => void groupKey(1_732_000_000_000, 123_456_789));
});

describe('chunk codec (40 records)', () => {
  const recs = makeWorkload(40, 3);
  const positions = recs.map((_, i) => i);
  const value = encodeChunk(recs, positions, 1).value;
  bench('encodeChunk (with trigram bitmap)', () => void encodeChunk(recs, positions, 1));
  bench('parseChunk (structure only)', () => void parseChunk(value));
  bench('decodeChunk (all records)', () => void decodeChunk(value));
});

/** The prepared store, built once on first use (bench `setup` hooks await it). */
let prepared: Promise<Store> | undefined;
function preparedStore(): Promise<Store> {
  prepared ??= (async () => {
    const recs = makeWorkload(RECORDS, 1);
    const bytes = inputBytes(recs);
    const s = await freshStore();
    const t0 = performance.now();
    await ingest(s, recs, 1000);
    const sec = (performance.now() - t0) / 1000;
    console.log(
      `prepared store: ${RECORDS} records, ${(bytes / 1e6).toFixed(0)} MB input (JSON lines), ingest ${Math.round(RECORDS / sec)} records/s acked, ` +
        `disk in use ${(s.diskBytes() / 1e6).toFixed(1)} MB = ${(s.diskBytes() / bytes).toFixed(3)} bytes per input byte`,
    );
    return s;
  })();
  return prepared;
}

describe(`queries over ${RECORDS} records`, () => {
  let store: Store;
  const setup = async () => void (store = await preparedStore());
  const count = (it: Iterable<unknown>) => {
    let n = 0;
    for (const _ of it) n++;
    return n;
  };
  const svcSev = { services: new Set(['payments']), severities: new Set(['ERROR' as const]) };
  bench('latest 100, one service+severity', () => void count(store.query(svcSev, { order: 'desc', limit: 100 })), { setup });
  bench('latest 100, unfiltered', () => void count(store.query({}, { order: 'desc', limit: 100 })), { setup });
  bench('counts per service × severity (stats)', () => void store.stats().perServiceSeverity, { setup });
  bench('rare token q (10 hits)', () => void count(store.query({ q: RARE_TOKEN, qRegex: new RegExp(RARE_TOKEN, 'i') }, { order: 'desc' })), { setup, time: 2000 });
  bench('substring scan, q with common trigrams (all records)', () => void count(store.query({ q: 'deadlock detected while calling mailer', qRegex: /deadlock detected while calling mailer/i }, { order: 'asc' })), { setup, iterations: 5, time: 0 });
  bench('regex scan (all records)', () => void count(store.query({ regex: /status=5\d\d latency_ms=9\d\d/ }, { order: 'asc' })), { setup, iterations: 5, time: 0 });
  bench('cursor page of 100 from the middle, service filter', () => {
    const mid = [...store.query({ services: new Set(['auth']) }, { order: 'desc', limit: 1 })][0]?.id;
    void count(store.query({ services: new Set(['auth']) }, { order: 'desc', after: mid, limit: 100 }));
  }, { setup });
});
