/**
 * Store test helpers: fresh temp data directories (removed after each test) and seeded record
 * generators. Real LMDB always; nothing here mocks it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ValidRecord } from '../../hub/protocol/record.js';
import type { Severity } from '../../hub/protocol/severity.js';
import { openStore } from '../../hub/store/store.js';
import type { Store, StoreOptions } from '../../hub/store/types.js';
import { prng as rng } from '../../shipper/simulate.js';

/** Deterministic PRNG (the shipper simulator's mulberry32). */
export { rng };

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'logwire-store-'));
  dirs.push(d);
  return d;
}

/** Opens a store (closed after the test). */
export async function tempStore(dir = tempDir(), options: Omit<StoreOptions, 'dir'> = {}): Promise<{ store: Store; dir: string }> {
  const store = await openStore({ ...options, dir });
  stores.push(store);
  return { store, dir };
}

export const SERVICES = ['payments', 'auth', 'search', 'api'];
export const SEVS: Severity[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const WORDS = ['user', 'login', 'failed', 'timeout', 'connect', 'db', 'cache', 'miss', 'retry', 'Order', 'PAID', 'refund', 'token', 'expired', 'GET', '/api/v1/items', 'status=500', 'latency_ms=', 'naïve', 'café', '日本'];

/** A seeded record. */
export function makeRecord(rand: () => number, i: number, baseTs = 1_700_000_000_000): ValidRecord {
  const words: string[] = [];
  const n = 3 + Math.floor(rand() * 12);
  for (let w = 0; w < n; w++) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
  words.push(`#${i}`);
  const r: ValidRecord = {
    ts: baseTs + Math.floor(rand() * 100_000),
    service: SERVICES[Math.floor(rand() * SERVICES.length)],
    severity: SEVS[Math.floor(rand() * SEVS.length)],
    message: words.join(' '),
    host: `host-${Math.floor(rand() * 3)}`,
  };
  if (rand() < 0.5) r.file = `/var/log/app-${Math.floor(rand() * 2)}.log`;
  if (rand() < 0.2) r.fields = { user: Math.floor(rand() * 1000), ok: rand() < 0.5, nested: { a: [1, 'x'] } };
  if (rand() < 0.05) r.truncated = true;
  return r;
}

export function makeRecords(seed: number, count: number, startIndex = 0): ValidRecord[] {
  const rand = rng(seed);
  const out: ValidRecord[] = [];
  for (let i = 0; i < count; i++) out.push(makeRecord(rand, startIndex + i));
  return out;
}

export function collect<T>(it: Iterable<T>): T[] {
  return [...it];
}
