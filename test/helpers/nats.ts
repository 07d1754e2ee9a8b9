/**
 * NATS for tests (nats.js nst/src/launcher.ts). `startNats()` runs a private `nats-server` on a
 * free loopback port (`-p -1` plus a ports file), or, when `NATS_URL` is set and the test does not
 * need to stop the server, uses that server. Every test should also use `uniqueRoot()` as its
 * subject root so tests sharing one server never see each other's messages.
 *
 * A private server can be stopped and restarted on the same port (outage tests), and can be
 * given extra nats-server flags (`args`: auth, TLS, a config file, `-m -1` for the monitoring
 * endpoint whose URL is then `monitorUrl`) and environment (`env`: variables a config file uses). Never mock NATS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { waitFor } from './wait.js';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export interface TestNats {
  url: string;
  port: number;
  /** True when this helper runs the server (stop/restart work). */
  private: boolean;
  /** The HTTP monitoring endpoint, when started with `-m -1`. */
  monitorUrl?: string;
  /** Kills the server (SIGKILL): clients see the connection drop. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A subject root no other test uses: `t<hex>`. */
export function uniqueRoot(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

function missingBinary(): Error {
  return new Error(`nats-server not found at ${NATS_SERVER_BIN}. Install it (Debian/Ubuntu: apt-get install nats-server; or download from https://github.com/nats-io/nats-server/releases) or set NATS_SERVER_BIN, or point NATS_URL at a running server.`);
}

export async function startNats(opts: { needsRestart?: boolean; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<TestNats> {
  const shared = process.env.NATS_URL;
  if (shared && !opts.needsRestart && !opts.args) {
    const port = Number(new URL(shared.replace(/^nats:/, 'http:')).port || 4222);
    const noop = async () => undefined;
    return { url: shared, port, private: false, stop: async () => { throw new Error('cannot stop a shared NATS_URL server'); }, restart: noop, close: noop, [Symbol.asyncDispose]: noop };
  }
  if (!existsSync(NATS_SERVER_BIN)) throw missingBinary();

  const dir = mkdtempSync(join(tmpdir(), 'logwire-nats-'));
  let proc: ChildProcess | undefined;
  let port = -1;
  let monitorUrl: string | undefined;

  const launch = async (): Promise<void> => {
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
    let stderr = '';
    const p = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '--ports_file_dir', dir, ...(opts.args ?? [])], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...opts.env } });
    p.stderr!.on('data', (d) => { stderr += d; });
    proc = p;
    const exited = new Promise<never>((_, reject) => p.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${stderr}`))));
    exited.catch(() => undefined);
    const url = await Promise.race([
      waitFor(() => {
        const f = readdirSync(dir).find((n) => n.endsWith('.ports'));
        if (!f) return undefined;
        const ports = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nats?: string[]; monitoring?: string[] };
        monitorUrl = ports.monitoring?.[0];
        return ports.nats?.[0];
      }, { timeoutMs: 10_000, intervalMs: 10, what: 'nats-server ports file' }),
      exited,
    ]);
    port = Number(new URL(url.replace(/^(nats|tls):/, 'http:')).port);
  };

  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await gone;
  };

  await launch();
  const close = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    get url() { return `nats://127.0.0.1:${port}`; },
    get port() { return port; },
    get monitorUrl() { return monitorUrl; },
    private: true,
    stop,
    restart: launch,
    close,
    [Symbol.asyncDispose]: close,
  };
}
