/**
 * Fake services for demos, tests and load: realistic log lines (plain text with ISO timestamps
 * and levels, pino-style JSON lines, access logs, and multi-line Java/Node stack traces),
 * generated from a seeded PRNG so a run can be reproduced.
 *
 * `createLineGenerator` yields the lines of one event at a time (one line, or several for a
 * stack trace); `runSimulation` plays them through the shipper's parser at a given rate, or
 * appends them to `<dir>/<service>.log` files.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLineParser, type LineParser, type ShipRecord } from './parse.js';

/** mulberry32: small, fast, good enough for fake data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USERS = ['u_1042', 'u_2291', 'u_3310', 'u_4478', 'u_5120', 'u_6634', 'u_7001', 'u_8815'];
const PATHS = ['/api/v1/orders', '/api/v1/cart', '/api/v1/login', '/api/v1/charge', '/healthz', '/api/v1/search?q=shoes', '/api/v1/users/me'];
const ACTIONS: Record<string, string[]> = {
  payments: ['charge authorized', 'charge captured', 'refund issued', 'card declined by issuer', 'webhook delivered to merchant', 'idempotency key replayed'],
  auth: ['login succeeded', 'login failed: bad password', 'token refreshed', 'session expired', 'mfa challenge sent', 'password reset requested'],
  checkout: ['cart priced', 'order placed', 'inventory reserved', 'shipping quote fetched', 'coupon rejected', 'order confirmation emailed'],
  billing: ['invoice generated', 'subscription renewed', 'dunning email sent', 'proration computed', 'tax calculated'],
  search: ['query served', 'index refreshed', 'slow query', 'shard rebalanced', 'cache miss'],
  notifications: ['push sent', 'email queued', 'sms delivered', 'template rendered', 'provider throttled us'],
};
const GENERIC = ['request handled', 'job finished', 'cache refreshed', 'connection pool resized', 'config reloaded'];
const LEVELS: Array<[string, number]> = [['DEBUG', 0.12], ['INFO', 0.7], ['WARN', 0.12], ['ERROR', 0.05], ['FATAL', 0.01]];
const PINO_LEVEL: Record<string, number> = { TRACE: 10, DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50, FATAL: 60 };

export interface LineGenerator {
  /** The next event's service and lines (several for a stack trace), stamped at `nowMs`. */
  next(nowMs: number): { service: string; lines: string[] };
}

export function createLineGenerator(services: string[], seed = 1): LineGenerator {
  const rnd = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const level = (): string => {
    let r = rnd();
    for (const [l, p] of LEVELS) if ((r -= p) < 0) return l;
    return 'INFO';
  };
  let reqId = Math.floor(rnd() * 1e6);
  return {
    next(nowMs) {
      const svc = pick(services);
      const lvl = level();
      const iso = new Date(nowMs).toISOString();
      const action = pick(ACTIONS[svc] ?? GENERIC);
      const user = pick(USERS);
      const ms = Math.floor(rnd() * 900) + 3;
      const id = (++reqId).toString(36);
      const kind = rnd();
      if (lvl === 'ERROR' && kind < 0.5) {
        return { service: svc, lines: [
          `${iso} ERROR [${svc}] request ${id} failed: ${action}: java.lang.IllegalStateException: upstream returned 503`,
          `\tat com.acme.${svc}.Client.call(Client.java:${100 + Math.floor(rnd() * 300)})`,
          `\tat com.acme.${svc}.Service.handle(Service.java:${40 + Math.floor(rnd() * 100)})`,
          `\tat com.acme.http.Router.dispatch(Router.java:88)`,
          `Caused by: java.net.SocketTimeoutException: read timed out after ${ms}ms`,
          `\t... 12 more`,
        ] };
      }
      if (kind < 0.35) {
        return { service: svc, lines: [JSON.stringify({ level: PINO_LEVEL[lvl], time: nowMs, pid: 4242, hostname: 'app-1', service: svc, reqId: id, user, durationMs: ms, msg: action })] };
      }
      if (kind < 0.5) {
        const status = lvl === 'ERROR' ? 500 : lvl === 'WARN' ? 429 : 200;
        return { service: svc, lines: [`${iso} ${lvl} ${svc} 10.0.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)} "GET ${pick(PATHS)} HTTP/1.1" ${status} ${Math.floor(rnd() * 20000)} ${ms}ms user=${user} req=${id}`] };
      }
      return { service: svc, lines: [`${iso} ${lvl.padEnd(5)} [${svc}] ${action} user=${user} req=${id} took=${ms}ms`] };
    },
  };
}

export interface SimulationOptions {
  services: string[];
  /** Events per second, over all services. */
  rate: number;
  host: string;
  seed?: number;
  /** Append to `<dir>/<service>.log` instead of shipping. */
  outDir?: string;
}

/** Plays services until `signal` aborts. `ship` receives parsed records (when not writing files). */
export async function runSimulation(opts: SimulationOptions, ship: (rec: ShipRecord, sizeHint: number) => void, signal: AbortSignal): Promise<void> {
  const gen = createLineGenerator(opts.services, opts.seed ?? Date.now());
  const parsers = new Map<string, LineParser>();
  const parserFor = (svc: string): LineParser => {
    let p = parsers.get(svc);
    if (!p) {
      p = createLineParser({ service: svc, host: opts.host, format: 'auto', multiline: 'auto', multilineFlushMs: 50, maxLineBytes: 64 * 1024 }, (r, _e, size) => ship(r, size));
      parsers.set(svc, p);
    }
    return p;
  };
  if (opts.outDir) await mkdir(opts.outDir, { recursive: true });
  const tickMs = 50;
  let owed = 0;
  let last = Date.now();
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, tickMs));
    const now = Date.now();
    owed += ((now - last) / 1000) * opts.rate;
    last = now;
    const files = new Map<string, string[]>();
    for (; owed >= 1; owed--) {
      const { service, lines } = gen.next(now);
      if (opts.outDir) files.set(service, [...(files.get(service) ?? []), ...lines]);
      else for (const l of lines) parserFor(service).push(l, 0, false, now);
    }
    for (const [svc, lines] of files) await appendFile(join(opts.outDir!, `${svc}.log`), lines.join('\n') + '\n');
    for (const p of parsers.values()) p.flushIfIdle(now + 1000);
  }
  for (const p of parsers.values()) p.flush();
}
