/**
 * Starting the real logwire-shipper for the benchmarks (not part of the test suite). Knobs from
 * the environment: FSYNC=0 (spool fsync off), SHIPPER_ARGS (extra shipper flags), NODE_ARGS (node
 * flags for the shipper process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './results.js';

const SHIPPER = join(REPO_ROOT, 'dist', 'shipper', 'main.js');
export const FSYNC = process.env.FSYNC !== '0';

export function startShipper(url: string, token: string, file: string, state: string, extra: string[] = []): ChildProcess {
  const args = [SHIPPER, '--hub', url.replace(/^http/, 'ws'), '--token', token, '--file', file, '--service', 'bench', '--state-dir', state, '--no-status', '--log-level', 'warn'];
  if (!FSYNC) args.push('--no-fsync');
  args.push(...extra);
  if (process.env.SHIPPER_ARGS) args.push(...process.env.SHIPPER_ARGS.split(' ').filter(Boolean));
  const nodeArgs = (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean);
  return spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}
