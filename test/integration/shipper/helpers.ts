/**
 * Shipper integration helpers: spawn the real `logwire-shipper` binary (dist/, built by
 * `npm run build`), append numbered lines, and read everything back from the hub's history API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/hub.js';

export const SHIPPER_MAIN = join(REPO_ROOT, 'dist', 'shipper', 'main.js');

export interface ShipperProcess {
  proc: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export function spawnShipper(args: string[], env: NodeJS.ProcessEnv = {}): ShipperProcess {
  const proc = spawn(process.execPath, [SHIPPER_MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.stdout!.on('data', () => undefined);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const signal = async (s: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(s);
    await exited;
  };
  return { proc, stderr: () => err, exited, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}

/** Runs the shipper to completion; returns exit code, stdout, stderr. */
export function runShipper(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [SHIPPER_MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (err += d));
    proc.once('exit', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

export function adminToken(dataDir: string): string {
  return readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
}

export async function hubTotal(url: string, token: string): Promise<number> {
  const r = await fetch(`${url}/stats`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`stats: HTTP ${r.status}`);
  return ((await r.json()) as { total: number }).total;
}

/** Every stored message, oldest first, through `GET /logs` pages. */
export async function allMessages(url: string, token: string, query = ''): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const q = `${url}/logs?limit=10000&order=asc${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await fetch(q, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`logs: HTTP ${r.status} ${await r.text()}`);
    const body = (await r.json()) as { logs: Array<{ message: string }>; next_cursor?: string | null };
    for (const l of body.logs) out.push(l.message);
    if (!body.next_cursor || body.logs.length === 0) return out;
    cursor = body.next_cursor;
  }
}

/** Asserts lines `L<n>` for n in 1..count each appear exactly once; returns problems. */
export function exactlyOnce(messages: string[], count: number): { missing: number[]; duplicated: number[] } {
  const seen = new Map<number, number>();
  for (const m of messages) {
    const n = Number(/^\S+ \S+ L(\d+) /.exec(m)?.[1] ?? NaN);
    if (Number.isFinite(n)) seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  const missing: number[] = [];
  const duplicated: number[] = [];
  for (let i = 1; i <= count; i++) {
    const c = seen.get(i) ?? 0;
    if (c === 0) missing.push(i);
    if (c > 1) duplicated.push(i);
  }
  return { missing, duplicated };
}

export function line(n: number): string {
  return `2024-05-01T10:00:00.000Z INFO L${n} payload=${'abcdefghij'.repeat(1 + (n % 7))}`;
}
