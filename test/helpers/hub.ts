/**
 * Test hubs. `startTestHub` runs a real hub in this process (real uWS on port 0, real LMDB in a
 * fresh temp dir); `spawnHub` runs the real `logwire-hub` binary (dist/, built by `pretest`)
 * as a child process for kill -9 and restart tests. Both clean up what they create.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { buildConfig, type HubConfigInput } from '../../hub/config.js';
import { startHub, type Hub, type StartOptions } from '../../hub/app.js';
import { createLogger } from '../../hub/log.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const HUB_MAIN = join(REPO_ROOT, 'dist', 'hub', 'main.js');

export interface TokenSpec {
  token: string;
  name?: string;
  scopes: Array<'ingest' | 'read' | 'admin'>;
  services?: string[] | '*';
}

export interface TestHub {
  url: string;
  wsUrl: string;
  port: number;
  /** An admin token (the generated one, or the first admin entry given). */
  token: string;
  dataDir: string;
  hub: Hub;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function tempDir(prefix = 'logwire-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTokensFile(dir: string, tokens: TokenSpec[]): string {
  const path = join(dir, 'tokens.json');
  writeFileSync(path, JSON.stringify({ tokens }, null, 2));
  return path;
}

export async function startTestHub(opts: { tokens?: TokenSpec[]; config?: HubConfigInput; dataDir?: string; keepData?: boolean; start?: StartOptions } = {}): Promise<TestHub> {
  const dataDir = opts.dataDir ?? tempDir();
  const tokensFile = opts.tokens ? writeTokensFile(dataDir, opts.tokens) : undefined;
  const config = buildConfig({ port: 0, host: '127.0.0.1', data: dataDir, tokens: tokensFile, logLevel: process.env.LOGWIRE_TEST_LOG ?? 'silent', ...opts.config });
  const hub = await startHub(config, { log: createLogger(config.logLevel), ...opts.start });
  const { readFileSync } = await import('node:fs');
  const token = opts.tokens
    ? (opts.tokens.find((t) => t.scopes.includes('admin'))?.token ?? opts.tokens[0].token)
    : readFileSync(hub.adminTokenPath!, 'utf8').trim();
  const close = async () => {
    await hub.close();
    if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return { url: hub.url, wsUrl: hub.url.replace(/^http/, 'ws'), port: hub.port, token, dataDir, hub, close, [Symbol.asyncDispose]: close };
}

/** A free TCP port on loopback (for restarting a hub on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

export interface HubProcess {
  url: string;
  wsUrl: string;
  port: number;
  proc: ChildProcess;
  stderr: () => string;
  /** SIGKILL, and wait for exit. */
  kill(): Promise<void>;
  /** SIGTERM, and wait for exit. */
  stop(): Promise<void>;
}

/** Spawns the real hub binary; resolves once it prints its listening line. */
export async function spawnHub(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HubProcess> {
  const proc = spawn(process.execPath, [HUB_MAIN, '--log-level', 'warn', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    // Generous: on a loaded 2-core machine a hub start (uWS, LMDB, the indexer worker) can pass 15 s.
    const timer = setTimeout(() => reject(new Error(`hub did not start in 30 s; stderr: ${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before listening; stderr: ${err}`));
    });
  });
  const port = Number(new URL(url).port);
  const waitExit = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return { url, wsUrl: url.replace(/^http/, 'ws'), port, proc, stderr: () => err, kill: () => waitExit('SIGKILL'), stop: () => waitExit('SIGTERM') };
}
