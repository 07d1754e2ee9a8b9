/**
 * Helpers for tail-cli integration tests: spawn the real binary (dist/tail-cli/main.js, built by
 * `pretest`), watch its stdout/stderr, and post records to a hub over HTTP.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';

export const CLI_MAIN = join(REPO_ROOT, 'dist', 'tail-cli', 'main.js');

export interface CliRun {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Non-empty stdout lines so far. */
  lines(): string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitLines(n: number, timeoutMs?: number): Promise<string[]>;
  waitStderr(re: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Environment without the caller's LOGWIRE_* / colour settings, so tests see only what they set. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('LOGWIRE_') && k !== 'NO_COLOR' && k !== 'FORCE_COLOR') env[k] = v;
  }
  return { ...env, ...extra };
}

export function spawnCli(args: string[], env: Record<string, string> = {}, opts: { cwd?: string } = {}): CliRun {
  const proc = spawn(process.execPath, [CLI_MAIN, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
  return watchProcess(proc);
}

/** Runs a shell command line (for pipes such as `| head`). */
export function spawnShell(command: string, env: Record<string, string> = {}): CliRun {
  const proc = spawn('bash', ['-c', command], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  return watchProcess(proc);
}

/** Collects a child's output and exit. */
export function watchProcess(proc: ChildProcess): CliRun {
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('close', (code, signal) => resolve({ code, signal }));
  });
  const lines = (): string[] => out.split('\n').filter((l) => l !== '');
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    lines,
    exit,
    waitLines: (n, timeoutMs = 10_000) => waitFor(() => (lines().length >= n ? lines() : undefined), { timeoutMs, what: `${n} lines of output (have ${lines().length}; stderr: ${err})` }),
    waitStderr: (re, timeoutMs = 10_000) => waitFor(() => re.test(err), { timeoutMs, what: `stderr matching ${re} (stderr: ${err})` }).then(() => undefined),
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exit;
    },
  };
}

export interface PostableRecord {
  service?: string;
  severity?: string;
  message: string;
  host?: string;
  file?: string;
  timestamp?: string;
  fields?: Record<string, unknown>;
}

/** POST /logs; resolves once the hub has stored them (201). */
export async function postLogs(url: string, token: string, records: PostableRecord[]): Promise<void> {
  const res = await fetch(`${url}/logs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  if (res.status !== 201) throw new Error(`POST /logs answered ${res.status}: ${await res.text()}`);
}

/** A failure must be exactly one line on stderr, with no stack trace. */
export function expectOneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got ${lines.length}:\n${stderr}`);
  if (/^\s+at /m.test(stderr) || /node:internal|Error:.*\n\s+at/.test(stderr)) throw new Error(`stack trace on stderr:\n${stderr}`);
  if (!lines[0].startsWith('tail-cli: ')) throw new Error(`stderr line does not start with "tail-cli: ": ${lines[0]}`);
  return lines[0];
}
