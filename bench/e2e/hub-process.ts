/**
 * A hub as its own process for the e2e benchmarks (not part of the test suite): the real
 * dist/hub/main.js on a free port, its URL read from the one line it prints on stdout.
 */
import { appendFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAdminToken } from '../../hub/auth/tokens.js';
import { REPO_ROOT } from './results.js';

export interface HubProc {
  url: string;
  wsUrl: string;
  pid: number;
  token: string;
  dataDir: string;
  /** SIGTERM and wait; removes the data directory unless it was given by the caller. */
  stop(): Promise<void>;
}

export async function startHubProc(extraArgs: string[] = [], opts: { dataDir?: string } = {}): Promise<HubProc> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'logwire-bench-'));
  const token = ensureAdminToken(dataDir).token;
  // BENCH_HUB_NODE_ARGS: extra node flags for the hub only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'dist', 'hub', 'main.js'), '--port', '0', '--data', dataDir, '--log-level', 'warn', ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    // BENCH_HUB_STDOUT=file: the hub's stdout (e.g. --trace-gc output) appended to that file.
    const echo = process.env.BENCH_HUB_STDOUT;
    proc.stdout!.on('data', (d) => {
      if (echo) appendFileSync(echo, d);
      if (out.length > 4096) return; // the address line came long ago
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`hub exited ${code}`)));
  });
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    pid: proc.pid!,
    token,
    dataDir,
    stop: () => new Promise((r) => {
      proc.once('exit', () => {
        if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
        r();
      });
      proc.kill('SIGTERM');
    }),
  };
}
