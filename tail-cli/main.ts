#!/usr/bin/env node
/**
 * tail-cli entry: command line (yargs), config, signals, exit codes. Nothing else.
 *
 * Exit codes: 0 done / Ctrl-C / stdout closed (`| head`); 1 hub, network or token failure;
 * 2 bad command line. Every failure is one `tail-cli: …` line on stderr, never a stack trace
 * (set LOGWIRE_DEBUG=1 to see one).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { buildConfig, DEFAULT_HUB } from './config.js';
import type { CliArgs } from './config.js';
import { CliError, ExitCode } from './errors.js';
import { startSession } from './run.js';
import type { Session } from './run.js';

const PROG = 'tail-cli';

function say(line: string): void {
  process.stderr.write(`${PROG}: ${line}\n`);
}

function exit(code: number): never {
  process.exit(code);
}

function fail(err: unknown): never {
  if (err instanceof CliError) {
    say(err.message);
    exit(err.exitCode);
  }
  say(`internal error: ${(err as Error)?.message ?? String(err)}`);
  if (process.env.LOGWIRE_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
  exit(ExitCode.failure);
}

function asList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).map(String);
}

function parseArgs(argv: string[]): CliArgs {
  const parsed = yargs(argv)
    .scriptName(PROG)
    .usage(`$0 [options]\n\nFollow logs from a logwire hub, live; with --since or --limit print history first.`)
    .parserConfiguration({ 'duplicate-arguments-array': true, 'strip-aliased': true, 'strip-dashed': true })
    .option('hub', { type: 'string', describe: `Hub URL [env LOGWIRE_HUB] (default ${DEFAULT_HUB})` })
    .option('token', { type: 'string', describe: 'Token with read scope [env LOGWIRE_TOKEN] (default: <data>/admin.token)' })
    .option('data', { type: 'string', describe: 'Local hub data directory holding admin.token [env LOGWIRE_DATA] (default ./data)' })
    .option('service', { type: 'string', describe: 'Only these services; repeat or comma-separate [env LOGWIRE_SERVICE]' })
    .option('severity', { type: 'string', describe: 'Only these severities, X+ = X and above, e.g. ERROR or WARN+ [env LOGWIRE_SEVERITY]' })
    .option('host', { type: 'string', describe: 'Only these shipping hosts [env LOGWIRE_HOST]' })
    .option('file', { type: 'string', describe: 'Only these source files [env LOGWIRE_FILE]' })
    .option('grep', { type: 'string', describe: 'Message contains TEXT, case-insensitive [env LOGWIRE_GREP]' })
    .option('regex', { type: 'string', describe: 'Message matches a JavaScript regex; (?i) prefix = ignore case [env LOGWIRE_REGEX]' })
    .option('since', { type: 'string', describe: 'Print history from this time first: 15m, 2h, 7d or ISO 8601 [env LOGWIRE_SINCE]' })
    .option('follow', { type: 'boolean', describe: 'Keep following live; --no-follow prints history and exits [env LOGWIRE_NO_FOLLOW]' })
    .option('limit', { type: 'string', describe: 'Print only the newest N history records (as tail -n) [env LOGWIRE_LIMIT]' })
    .option('output', { alias: 'o', type: 'string', describe: 'Output format: pretty, json (NDJSON) or raw (message only) [env LOGWIRE_OUTPUT] (default pretty)' })
    .option('color', { type: 'boolean', describe: 'Colour pretty output; default on a terminal; --no-color or NO_COLOR turn it off' })
    .example('$0 --service payments --severity ERROR', 'errors from payments, live')
    .example('$0 --since 15m --severity WARN+', 'the last 15 minutes of warnings and worse, then live')
    .example('$0 --service auth --limit 50 --no-follow -o json | jq .message', 'the newest 50 auth records as NDJSON')
    .epilogue('Every flag also reads LOGWIRE_<FLAG> (e.g. LOGWIRE_HUB, LOGWIRE_TOKEN); flags win over the environment.')
    .strict()
    .version(false)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new CliError(`${msg} (see ${PROG} --help)`, ExitCode.usage);
    })
    .parseSync();
  if (parsed.help) exit(ExitCode.ok);
  const args: CliArgs = {
    hub: parsed.hub,
    token: parsed.token,
    data: parsed.data,
    service: asList(parsed.service),
    severity: asList(parsed.severity),
    host: asList(parsed.host),
    file: asList(parsed.file),
    grep: parsed.grep,
    regex: parsed.regex,
    since: parsed.since,
    follow: parsed.follow,
    limit: parsed.limit === undefined ? undefined : String(parsed.limit),
    output: parsed.output,
    color: parsed.color,
  };
  for (const k of ['hub', 'token', 'data', 'grep', 'regex', 'since', 'limit', 'output'] as const) {
    if (Array.isArray(args[k])) throw new CliError(`--${k} was given more than once`, ExitCode.usage);
  }
  return args;
}

function main(): void {
  let session: Session | undefined;
  let ending = false;
  const endQuietly = (): void => {
    if (ending) return;
    ending = true;
    // Give the close handshake a moment, then go regardless.
    setTimeout(() => exit(ExitCode.ok), 1500).unref();
    void (session?.stop() ?? Promise.resolve()).then(() => exit(ExitCode.ok));
  };

  // `| head` closed our stdout: that is a normal way to end, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') exit(ExitCode.ok);
    fail(new CliError(`cannot write to stdout: ${err.code ?? err.message}`));
  });
  process.stderr.on('error', () => undefined);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, endQuietly);

  try {
    const args = parseArgs(hideBin(process.argv));
    const cfg = buildConfig(args, { env: process.env, isTTY: process.stdout.isTTY === true });
    for (const w of cfg.warnings) say(`warning: ${w}`);
    session = startSession(cfg, { stdout: process.stdout, notice: say });
  } catch (err) {
    fail(err);
  }
  session.done.then(
    () => {
      if (!ending) exit(ExitCode.ok);
    },
    (err: unknown) => {
      if (!ending) fail(err);
    },
  );
}

main();
