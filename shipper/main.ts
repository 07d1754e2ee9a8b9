#!/usr/bin/env node
/**
 * logwire-shipper entry: yargs commands only — `run` (default) follows files and ships them,
 * `check` tests files, hub and token, `simulate` plays fake services. Flags also read
 * `LOGWIRE_<FLAG>`; the legacy agent's `.env` names are read from the environment and `./.env`.
 * Failures a person must fix print one line on stderr and exit non-zero (2 = configuration).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { buildConfig, ConfigError, type FlagValues, type ShipperConfig } from './config.js';
import { checkpointTempPath, StateError } from './checkpoint.js';
import { createLogger } from './log.js';
import { startShipper, ShipperError } from './pipeline.js';
import { createStatusLine } from './status.js';
import { runChecks } from './check.js';
import { createDiscovery, isGlob, NotRegularFileError, OutsideWatchedError } from './discovery.js';
import { runSimulation } from './simulate.js';
import { envForFlags } from '../hub/cli-env.js';

const NAME = 'logwire-shipper';
/** SIGTERM/SIGINT end the process within this long (systemd's stop, docs/logwire-shipper.service). */
const STOP_DEADLINE_MS = 800;

function die(message: string, code: number): never {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(code);
}

/** Environment: the real one over the `.env` file (dotenv convention: real variables win). */
function loadEnv(argv: string[]): Record<string, string | undefined> {
  const i = argv.findIndex((a) => a === '--env-file' || a.startsWith('--env-file='));
  const path = i === -1 ? (process.env.LOGWIRE_ENV_FILE ?? '.env') : argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  let fileEnv: Record<string, string> = {};
  if (path && existsSync(path)) {
    try {
      fileEnv = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
    } catch (err) {
      throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
    }
  } else if (i !== -1) throw new ConfigError(`env file ${path} does not exist`);
  // LOGWIRE_<FLAG> from the file count as well (the real environment wins).
  return { ...fileEnv, ...process.env };
}

/** Flags of every command, and the extra ones of `run`/`check` and `simulate`: LOGWIRE_<FLAG> is read for these only. */
const COMMON_FLAGS = ['hub', 'token', 'host', 'state-dir', 'config', 'data', 'env-file', 'batch-max-records', 'batch-max-bytes', 'batch-interval-ms', 'spool-max-bytes', 'fsync', 'retry-base-ms', 'log-level', 'status'];
const FILE_FLAGS = ['file', 'service', 'from-end', 'follow-symlinks', 'format', 'multiline', 'max-line-bytes', 'poll-interval-ms'];
const SIMULATE_FLAGS = ['services', 'rate', 'seed', 'out'];

function commonOptions(y: Argv) {
  return y
    .option('hub', { type: 'string', describe: 'hub ingest URL(s), comma-separated for failover (ws://host:7070)' })
    .option('token', { type: 'string', describe: 'ingest token (else API_TOKEN, else the local hub\'s admin.token)' })
    .option('host', { type: 'string', describe: 'host label of the records (default: this machine\'s name; legacy SOURCE)' })
    .option('state-dir', { type: 'string', describe: 'where the spool, checkpoint and shipper id live (default ./shipper-state)' })
    .option('config', { type: 'string', describe: 'JSON config file, e.g. {"files":[{"path":"/var/log/app/*.log","service":"app"}]}' })
    .option('data', { type: 'string', describe: 'local hub data dir to find admin.token in (default ./data)' })
    .option('env-file', { type: 'string', describe: 'legacy agent .env file (default ./.env when present)' })
    .option('batch-max-records', { type: 'number', describe: 'records per batch (default 1024)' })
    .option('batch-max-bytes', { type: 'number', describe: 'bytes per batch (default 1 MiB, never above the hub\'s limit)' })
    .option('batch-interval-ms', { type: 'number', describe: 'send a partial batch after this long (default 20; legacy BATCH_INTERVAL in s)' })
    .option('spool-max-bytes', { type: 'number', describe: 'pause reading when this much is unacked (default 256 MiB)' })
    .option('fsync', { type: 'boolean', describe: 'fsync spool and checkpoint writes (default true)' })
    .option('retry-base-ms', { type: 'number', describe: 'reconnect backoff base (default 500; legacy RETRY_DELAY in s)' })
    .option('log-level', { type: 'string', describe: 'trace, debug, info, warn, error, silent (default info)' })
    .option('status', { type: 'boolean', describe: 'status line on a TTY (default true; --no-status)' });
}

function fileOptions(y: Argv) {
  return y
    .option('file', { type: 'string', array: true, describe: 'file path or glob to follow (repeatable; legacy LOG_FILE)' })
    .option('service', { type: 'string', describe: 'service name (default: the file name without extension)' })
    .option('from-end', { type: 'boolean', describe: 'start files seen for the first time at their end' })
    .option('follow-symlinks', { type: 'boolean', describe: 'follow symbolic links out of the watched directories (default: refused)' })
    .option('format', { type: 'string', describe: 'auto (JSON lines or text), json or text (default auto)' })
    .option('multiline', { type: 'string', describe: 'auto (indented lines join the previous), off, or a regex for a record\'s first line' })
    .option('max-line-bytes', { type: 'number', describe: 'longer lines are cut and flagged truncated (default 65536)' })
    .option('poll-interval-ms', { type: 'number', describe: 'file poll interval; inotify wakes it earlier (default 250)' });
}

function toFlags(a: Record<string, unknown>): FlagValues {
  const f: FlagValues = {};
  const map: Record<string, keyof FlagValues> = {
    hub: 'hub', token: 'token', file: 'file', service: 'service', host: 'host', stateDir: 'stateDir', fromEnd: 'fromEnd', followSymlinks: 'followSymlinks',
    config: 'config', data: 'data', envFile: 'envFile', format: 'format', multiline: 'multiline', maxLineBytes: 'maxLineBytes',
    batchMaxRecords: 'batchMaxRecords', batchMaxBytes: 'batchMaxBytes', batchIntervalMs: 'batchIntervalMs',
    spoolMaxBytes: 'spoolMaxBytes', fsync: 'fsync', pollIntervalMs: 'pollIntervalMs', retryBaseMs: 'retryBaseMs',
    logLevel: 'logLevel', status: 'status',
  };
  for (const [k, v] of Object.entries(map)) if (a[k] !== undefined) (f as Record<string, unknown>)[v] = a[k];
  return f;
}

/** Explicit (non-glob) files that exist but cannot be read (or may not be: links out, FIFOs) are a startup error. */
async function assertReadable(cfg: ShipperConfig, warn: (m: string) => void): Promise<void> {
  const discovery = createDiscovery(cfg.sources, cfg.tail.followSymlinks);
  for (const s of cfg.sources) {
    if (isGlob(s.path)) continue;
    try {
      const { fh } = await discovery.open(s.path);
      await fh.close();
    } catch (err) {
      if (err instanceof OutsideWatchedError) throw new ConfigError(err.message);
      if (err instanceof NotRegularFileError) throw new ConfigError(`${s.path} is not a regular file${err.kind === 'directory' ? '' : ` but a ${err.kind}`}`);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') warn(`${s.path} does not exist yet; it will be shipped from its start when it appears`);
      else throw new ConfigError(`cannot read ${s.path}: ${code === 'EACCES' ? 'permission denied' : code}`);
    }
  }
}

async function run(cfg: ShipperConfig, mode: 'files' | 'external', simulate?: (add: (r: never, n: number) => void, signal: AbortSignal) => Promise<void>): Promise<void> {
  let status = { clear() {}, close() {} };
  const log = createLogger(cfg.logLevel, () => status.clear());
  for (const n of cfg.notes) log.info(n);
  for (const w of cfg.warnings) log.warn(w);
  if (mode === 'files') {
    if (cfg.sources.length === 0) throw new ConfigError('no file to follow: pass --file PATH|GLOB (or LOG_FILE, or "files" in --config)');
    await assertReadable(cfg, (m) => log.warn(m));
  }
  const shipper = await startShipper(cfg, log, mode);
  log.info(`shipper ${shipper.shipperId} started: ${mode === 'files' ? cfg.sources.map((s) => `${s.path} (${s.service})`).join(', ') : 'simulated services'} → ${cfg.send.hubs.join(', ')}`);
  if (cfg.status) status = createStatusLine(process.stderr, () => shipper.stats());
  const abort = new AbortController();
  const sim = simulate?.(shipper.add as never, abort.signal);
  let stopping = false;
  const stop = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    // Within a second, whatever happens: everything on disk is written atomically or
    // checksummed, so exiting at any point keeps what was acked and leaves nothing half-written.
    setTimeout(() => {
      rmSync(checkpointTempPath(cfg.stateDir), { force: true }); // a checkpoint write cut short: the old one stands
      process.exit(code);
    }, STOP_DEADLINE_MS).unref();
    abort.abort();
    await sim?.catch(() => undefined);
    status.close();
    log.info(`stopping (${signal}): spooling what was read and waiting briefly for acks`);
    await shipper.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const err = await shipper.fatal;
  status.close();
  abort.abort();
  await shipper.close({ drainMs: 0 }).catch(() => undefined);
  die(err.message, 1);
}

async function main(): Promise<void> {
  const raw = hideBin(process.argv);
  const env = loadEnv(raw);
  // Not yargs' .env(): with strict options any other LOGWIRE_* variable (LOGWIRE_PORT for the
  // hub, say) would stop the shipper. Only the flags of the command; command-line flags win.
  const fromEnv = (flags: string[]) => envForFlags([...COMMON_FLAGS, ...flags], env);
  const cli = yargs(raw)
    .scriptName(NAME)
    .usage('$0 [run] --hub ws://HUB:7070 --token T --file PATH|GLOB --service NAME\n\nFollows log files and streams them to a logwire hub, losing nothing.')
    .epilogue('Every flag also reads LOGWIRE_<FLAG> from the environment or the .env file (e.g. LOGWIRE_HUB, LOGWIRE_STATE_DIR); flags win.')
    .command(['run', '$0'], 'follow files and ship them (default)', (y) => fileOptions(commonOptions(y)).config(fromEnv(FILE_FLAGS)), async (a) => {
      await run(buildConfig(toFlags(a), env), 'files');
    })
    .command('check', 'check files, state dir, hub reachability and token; exit 1 on failure', (y) => fileOptions(commonOptions(y)).config(fromEnv(FILE_FLAGS)), async (a) => {
      const ok = await runChecks(buildConfig(toFlags(a), env), (l) => process.stdout.write(`${l}\n`));
      process.exit(ok ? 0 : 1);
    })
    .command('simulate', 'play fake services (demos, load)', (y) =>
      commonOptions(y)
        .option('services', { type: 'string', default: 'payments,auth,checkout', describe: 'comma-separated service names' })
        .option('rate', { type: 'number', default: 200, describe: 'events per second over all services' })
        .option('seed', { type: 'number', describe: 'PRNG seed (default: time)' })
        .option('out', { type: 'string', describe: 'append to <out>/<service>.log instead of shipping' })
        .config(fromEnv(SIMULATE_FLAGS)),
    async (a) => {
      const services = String(a.services).split(',').map((s) => s.trim()).filter(Boolean);
      if (services.length === 0) throw new ConfigError('--services needs at least one name');
      if (!(a.rate > 0)) throw new ConfigError('--rate must be a positive number');
      const flags = toFlags(a);
      if (a.out) {
        const abort = new AbortController();
        process.on('SIGINT', () => abort.abort());
        process.on('SIGTERM', () => abort.abort());
        await runSimulation({ services, rate: a.rate, host: flags.host ?? 'sim', seed: a.seed, outDir: a.out }, () => undefined, abort.signal);
        return;
      }
      // Without --state-dir, simulated data needs no durable state across runs: a private temp dir.
      let tmp: string | undefined;
      if (!flags.stateDir && !env.STATE_FILE) flags.stateDir = tmp = mkdtempSync(join(tmpdir(), 'logwire-sim-'));
      process.on('exit', () => tmp && rmSync(tmp, { recursive: true, force: true }));
      const cfg = buildConfig(flags, env);
      await run(cfg, 'external', (add, signal) => runSimulation({ services, rate: a.rate, host: cfg.host, seed: a.seed }, add as never, signal));
    })
    .strictOptions()
    .strictCommands()
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new ConfigError(`${msg} (see ${NAME} --help)`);
    });
  await cli.parseAsync();
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) die(err.message, 2);
  if (err instanceof StateError || err instanceof ShipperError) die(err.message, 1);
  const e = err as NodeJS.ErrnoException;
  die(e?.code ? `${e.message}` : String(e?.message ?? err), 1);
});
