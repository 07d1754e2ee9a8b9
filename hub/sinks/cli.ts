/**
 * `logwire-hub sinks [--hub URL] [--token T] [--data DIR] [--json]`: asks a running hub for its
 * sinks (GET /stats) and prints them as a table. The token defaults to LOGWIRE_TOKEN, then the
 * local hub's generated `<data>/admin.token`. Failures print one line and exit 1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { ADMIN_TOKEN_FILE } from '../auth/tokens.js';
import { envForFlags } from '../cli-env.js';
import type { SinkStatus } from './sink.js';
import { formatSinkTable } from './table.js';

function fail(message: string): never {
  process.stderr.write(`logwire-hub sinks: ${message}\n`);
  process.exit(1);
}

export async function runSinksCommand(args: string[]): Promise<void> {
  const argv = await yargs(args)
    .scriptName('logwire-hub sinks')
    .usage('$0 [options]\n\nShows the forwarding sinks of a running hub: lag, sent, retried, skipped, last error.')
    .config(envForFlags(['hub', 'token', 'data'], process.env))
    .option('hub', { type: 'string', default: 'http://127.0.0.1:7070', describe: 'the hub to ask' })
    .option('token', { type: 'string', describe: 'a read token (default: LOGWIRE_TOKEN, else <data>/admin.token)' })
    .option('data', { type: 'string', default: './data', describe: "the local hub's data directory (for its admin.token)" })
    .option('json', { type: 'boolean', default: false, describe: 'print the JSON instead of a table' })
    .strictOptions()
    .help()
    .version(false)
    .fail((msg, err) => fail(err?.message ?? `${msg} (see logwire-hub sinks --help)`))
    .parseAsync();
  let token = argv.token;
  if (!token) {
    try {
      token = readFileSync(join(argv.data, ADMIN_TOKEN_FILE), 'utf8').trim();
    } catch {
      fail(`no token: pass --token or LOGWIRE_TOKEN (or run where the hub's ${join(argv.data, ADMIN_TOKEN_FILE)} is readable)`);
    }
  }
  const base = argv.hub.replace(/^ws/, 'http').replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/stats`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    fail(`cannot reach ${base} (${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message}); is the hub running? (--hub)`);
  }
  const body = (await res.json().catch(() => ({}))) as { sinks?: SinkStatus[]; error?: string };
  if (!res.ok) fail(`${base} answered ${res.status}: ${body.error ?? 'no details'}`);
  if (body.sinks === undefined && !argv.json) {
    process.stdout.write('no sinks configured on this hub (start it with --sinks sinks.json), or the token may not read every service\n');
    return;
  }
  process.stdout.write(argv.json ? `${JSON.stringify(body.sinks ?? [], null, 2)}\n` : formatSinkTable(body.sinks ?? []));
}
