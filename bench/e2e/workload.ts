/**
 * Seeded, realistic log workload for benchmarks (not part of the test suite): a mix of services,
 * hosts, files and severities, with access-log lines, JSON-style structured events, and
 * occasional multi-line stack traces; about 200 bytes of message on average.
 */
import { prng as rng } from '../../shipper/simulate.js';

export const SERVICES = ['payments', 'auth', 'checkout', 'search', 'billing', 'notifications', 'inventory', 'gateway'];
export const HOSTS = ['web-1', 'web-2', 'worker-1', 'worker-2'];
const FILES = ['/var/log/app/app.log', '/var/log/app/access.log', '/var/log/app/error.log'];
/** Cumulative weights: INFO-heavy, as production logs are. */
const SEVERITY_WEIGHTS: Array<[string, number]> = [['TRACE', 0.03], ['DEBUG', 0.18], ['INFO', 0.78], ['WARN', 0.9], ['ERROR', 0.98], ['FATAL', 1]];
const PATHS = ['/api/v1/orders', '/api/v1/cart', '/login', '/api/v1/search?q=shoes', '/health', '/api/v1/payments/charge'];
const WORDS = ['request', 'completed', 'user', 'session', 'cache', 'miss', 'retry', 'timeout', 'upstream', 'connection', 'order', 'invoice', 'token', 'refreshed', 'queue', 'latency'];

/** The shipper simulator's seeded PRNG, so every generator here draws the same way. */
export { rng };

export interface BenchRecord {
  ts: number;
  service: string;
  severity: string;
  message: string;
  host: string;
  file: string;
  fields?: Record<string, unknown>;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function severity(r: () => number): string {
  const x = r();
  for (const [s, w] of SEVERITY_WEIGHTS) if (x < w) return s;
  return 'INFO';
}

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(r() * 0xffffffff).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

export function makeMessage(r: () => number, sev: string): { message: string; fields?: Record<string, unknown> } {
  const kind = r();
  if (kind < 0.45) {
    const status = sev === 'ERROR' ? 502 : sev === 'WARN' ? 429 : 200;
    return { message: `10.0.${Math.floor(r() * 255)}.${Math.floor(r() * 255)} - - "GET ${pick(r, PATHS)} HTTP/1.1" ${status} ${Math.floor(r() * 50000)} "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" rt=${(r() * 2).toFixed(3)} req=${hex(r, 16)}` };
  }
  if (kind < 0.8) {
    const words = Array.from({ length: 6 + Math.floor(r() * 10) }, () => pick(r, WORDS)).join(' ');
    return { message: `${words} user_id=${Math.floor(r() * 1e6)} trace=${hex(r, 24)} duration_ms=${Math.floor(r() * 900)}`, fields: { user_id: Math.floor(r() * 1e6), region: pick(r, ['eu-west-1', 'us-east-1']) } };
  }
  if (kind < 0.95 || sev === 'TRACE' || sev === 'DEBUG') {
    return { message: `${pick(r, WORDS)} ${pick(r, WORDS)} for order #${Math.floor(r() * 1e6)} - retrying in ${Math.floor(r() * 10)}s (attempt ${1 + Math.floor(r() * 5)}/5)` };
  }
  const frames = Array.from({ length: 3 + Math.floor(r() * 3) }, (_, i) => `    at ${pick(r, ['OrderService', 'PaymentClient', 'Db', 'Router'])}.${pick(r, WORDS)} (/srv/app/src/${pick(r, WORDS)}.js:${10 + i * 7}:${Math.floor(r() * 40)})`);
  return { message: `Error: ${pick(r, WORDS)} ${pick(r, WORDS)} failed: ECONNRESET\n${frames.join('\n')}` };
}

/** `count` records; `rareToken` is planted in exactly `rareHits` of them, spread evenly. */
export function* generateRecords(count: number, seed = 1, rareToken?: string, rareHits = 10): Generator<BenchRecord> {
  const r = rng(seed);
  const every = rareToken ? Math.floor(count / rareHits) : 0;
  const t0 = Date.UTC(2026, 10, 1);
  for (let i = 0; i < count; i++) {
    const sev = severity(r);
    const m = makeMessage(r, sev);
    const rec: BenchRecord = { ts: t0 + i * 3, service: pick(r, SERVICES), severity: sev, message: m.message, host: pick(r, HOSTS), file: pick(r, FILES) };
    if (m.fields) rec.fields = m.fields;
    if (rareToken && i % every === every >> 1) rec.message = `${rec.message} ${rareToken}`;
    yield rec;
  }
}
