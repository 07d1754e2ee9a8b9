#!/usr/bin/env node
/**
 * logwire-hub entry: flags (and LOGWIRE_* env) → config → start → signals. Startup failures
 * print one line and exit 1. `--demo` also runs simulated shippers so something is flowing.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { buildConfig } from './config.js';
import { startHub } from './app.js';
import { HubError } from './errors.js';
import { startDemoShippers } from './demo.js';
import { envForFlags } from './cli-env.js';

const FLAGS = ['port', 'host', 'data', 'nats', 'tokens', 'retention', 'max-disk', 'tls-cert', 'tls-key', 'log-level', 'max-message-bytes', 'max-batch-bytes', 'max-inflight', 'max-body-bytes', 'heartbeat-ms', 'metrics-public', 'demo'];

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('logwire-hub')
    .usage('$0 [options]\n\nRuns a logwire hub: WebSocket ingest, durable LMDB store, live tail and HTTP history API.')
    .config(envForFlags(FLAGS, process.env))
    .epilogue('Every flag also reads LOGWIRE_<FLAG> from the environment (e.g. LOGWIRE_PORT, LOGWIRE_MAX_DISK); flags win.')
    .option('port', { type: 'number', default: 7070, describe: 'HTTP/WebSocket port (0 = any free port)' })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'listen address' })
    .option('data', { type: 'string', default: './data', describe: 'data directory (store, generated admin.token)' })
    .option('nats', { type: 'string', describe: 'NATS server URL(s), comma-separated; omit for the in-process bus' })
    .option('tokens', { type: 'string', describe: 'tokens file (JSON); omit to generate an admin token in the data directory' })
    .option('retention', { type: 'string', describe: 'delete records older than this (event time), e.g. 7d' })
    .option('max-disk', { type: 'string', describe: 'delete oldest records while the store is larger, e.g. 10GB' })
    .option('tls-cert', { type: 'string', describe: 'TLS certificate file (PEM)' })
    .option('tls-key', { type: 'string', describe: 'TLS private key file (PEM)' })
    .option('log-level', { type: 'string', default: 'info', describe: 'trace, debug, info, warn, error, fatal, silent' })
    .option('max-message-bytes', { type: 'number', describe: 'longer messages are stored truncated (default 65536)' })
    .option('max-batch-bytes', { type: 'number', describe: 'largest ingest frame (default 8 MiB)' })
    .option('max-inflight', { type: 'number', describe: 'unacked batches per shipper connection (default 8)' })
    .option('max-body-bytes', { type: 'number', describe: 'largest HTTP body (default 16 MiB)' })
    .option('heartbeat-ms', { type: 'number', describe: 'live-tail heartbeat interval (default 5000)' })
    .option('metrics-public', { type: 'boolean', default: true, describe: 'serve /metrics without a token' })
    .option('demo', { type: 'boolean', default: false, describe: 'also run simulated shippers (for a first look)' })
    .strictOptions()
    .help()
    .version(false)
    .fail((msg, err) => {
      throw new HubError('HUB_ERR_CONFIG', err?.message ?? `${msg} (see logwire-hub --help)`);
    })
    .parseAsync();

  const config = buildConfig({
    port: argv.port, host: argv.host, data: argv.data, nats: argv.nats, tokens: argv.tokens,
    retention: argv.retention, maxDisk: argv.maxDisk, tlsCert: argv.tlsCert, tlsKey: argv.tlsKey,
    logLevel: argv.logLevel, maxMessageBytes: argv.maxMessageBytes, maxBatchBytes: argv.maxBatchBytes,
    maxInflight: argv.maxInflight, maxBodyBytes: argv.maxBodyBytes, heartbeatMs: argv.heartbeatMs,
    metricsPublic: argv.metricsPublic,
  });
  const hub = await startHub(config);
  // The one stdout line scripts and tests read to learn the port.
  process.stdout.write(`logwire-hub listening on ${hub.url}\n`);
  if (hub.adminTokenPath) process.stdout.write(`admin token: ${hub.adminTokenPath} (tail-cli and logwire-shipper on this machine find it there)\n`);
  process.stdout.write(`web page: ${hub.url}/ui/ — sign in with ${hub.adminTokenPath ? `the token in ${hub.adminTokenPath} (cat it)` : 'a token with the read scope'}\n`);
  const demo = argv.demo ? startDemoShippers(hub) : undefined;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    hub.ctx.log.info({ signal }, 'stopping');
    void (async () => {
      await demo?.close();
      await hub.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const message = err instanceof HubError ? err.message : (err as Error)?.message ?? String(err);
  process.stderr.write(`logwire-hub: ${message}\n`);
  process.exit(1);
});
