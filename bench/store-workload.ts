/**
 * Seeded workload for bench/store.bench.ts: ~200-byte log records in a realistic mix (8 services,
 * skewed severities, 4 hosts, 2 files per service, plain lines, JSON lines with fields, stack-trace
 * lines), plus 10 records carrying a rare token. Not part of the test suite.
 */
import type { ValidRecord } from '../hub/protocol/record.js';
import type { Severity } from '../hub/protocol/severity.js';
import { prng as rng } from '../shipper/simulate.js';

export const RARE_TOKEN = 'zq7xunicorn';
const SERVICES = ['payments', 'auth', 'search', 'api-gateway', 'orders', 'inventory', 'mailer', 'billing'];
const SEV: Array<[Severity, number]> = [['INFO', 0.6], ['DEBUG', 0.75], ['WARN', 0.87], ['ERROR', 0.95], ['TRACE', 0.99], ['FATAL', 1]];
const PATHS = ['/api/v1/items', '/api/v1/orders', '/login', '/api/v2/search', '/health', '/api/v1/users/me'];
const ERRORS = ['ECONNRESET', 'ETIMEDOUT', 'connection refused', 'deadlock detected', 'invalid token', 'rate limited'];


export function makeWorkload(count: number, seed = 1, baseTs = Date.now() - 3_600_000, spacingMs = 3): ValidRecord[] {
  const r = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const hex = (n: number) => Math.floor(r() * 16 ** n).toString(16).padStart(n, '0');
  const rare = new Set<number>();
  while (rare.size < Math.min(10, count)) rare.add(Math.floor(r() * count));
  const out: ValidRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const x = r();
    const severity = SEV.find(([, p]) => x < p)![0];
    const service = pick(SERVICES);
    const kind = r();
    let message: string;
    let fields: Record<string, unknown> | undefined;
    if (kind < 0.55) {
      message = `${pick(['GET', 'POST', 'PUT'])} ${pick(PATHS)}?page=${Math.floor(r() * 50)} status=${pick([200, 200, 200, 201, 404, 500])} latency_ms=${Math.floor(r() * 900)} request_id=${hex(16)} user=${Math.floor(r() * 100000)} bytes=${Math.floor(r() * 65536)} ua="Mozilla/5.0 (X11; Linux x86_64)"`;
    } else if (kind < 0.8) {
      message = `order ${hex(8)} for customer ${Math.floor(r() * 1e6)} moved to state ${pick(['PAID', 'SHIPPED', 'REFUNDED', 'CANCELLED'])} after ${Math.floor(r() * 5000)}ms; retry=${Math.floor(r() * 3)} trace=${hex(32)}`;
      fields = { order: hex(8), amount: Math.floor(r() * 100000) / 100, currency: pick(['EUR', 'USD']) };
    } else {
      message = `Error: ${pick(ERRORS)} while calling ${pick(SERVICES)}\n    at Client.request (/srv/app/node_modules/client/lib/index.js:${Math.floor(r() * 900)}:17)\n    at async Handler.run (/srv/app/src/handler.ts:${Math.floor(r() * 300)}:5)`;
    }
    if (rare.has(i)) message += ` ${RARE_TOKEN}`;
    // Flat strings, as a MessagePack decoder produces them (template results are rope strings).
    message = Buffer.from(message).toString();
    const flat = (x: string) => Buffer.from(x).toString(); // fresh flat strings, as decoded from the wire
    const rec: ValidRecord = { ts: Math.floor(baseTs + i * spacingMs) + Math.floor(r() * 1000), service: flat(service), severity, message, host: flat(`node-${Math.floor(r() * 4)}`), file: flat(`/var/log/${service}/${r() < 0.8 ? 'app' : 'error'}.log`) };
    if (fields) rec.fields = fields;
    out[i] = rec;
  }
  return out;
}

/** Approximate input bytes: what a shipper sends for these records as JSON lines. */
export function inputBytes(records: ValidRecord[]): number {
  let n = 0;
  for (const rec of records) n += Buffer.byteLength(JSON.stringify(rec)) + 1;
  return n;
}
