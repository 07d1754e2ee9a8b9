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
import { runSinksCommand } from './sinks/cli.js';

/** NATS credential, TLS and signing flags (docs/nats.md); secrets are best given as LOGWIRE_* env. */
const NATS_FLAGS = ['nats-creds', 'nats-user', 'nats-password', 'nats-token', 'nats-tls-ca', 'nats-tls-cert', 'nats-tls-key', 'cluster-secret'];
const FLAGS = ['port', 'host', 'data', 'nats', 'tokens', 'retention', 'max-disk', 'tls-cert', 'tls-key', 'log-level', 'max-message-bytes', 'max-batch-bytes', 'max-inflight', 'max-inflight-bytes', 'max-queued-bytes', 'max-streams', 'max-streams-per-service', 'max-body-bytes', 'heartbeat-ms', 'metrics-public', 'demo', 'forward', 'forward-shared-key', 'syslog-tcp', 'syslog-udp', 'sinks', ...NATS_FLAGS];

async function main(): Promise<void> {
  if (process.argv[2] === 'sinks') return runSinksCommand(process.argv.slice(3));
  const argv = await yargs(hideBin(process.argv))
    .scriptName('logwire-hub')
    .usage('$0 [options]\n$0 sinks [--hub URL --token T]   show the forwarding sinks of a running hub\n\nRuns a logwire hub: WebSocket ingest, durable LMDB store, live tail and HTTP history API.')
    .config(envForFlags(FLAGS, process.env))
    .epilogue('Every flag also reads LOGWIRE_<FLAG> from the environment (e.g. LOGWIRE_PORT, LOGWIRE_MAX_DISK); flags win.')
    .option('port', { type: 'number', default: 7070, describe: 'HTTP/WebSocket port (0 = any free port)' })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'listen address' })
    .option('data', { type: 'string', default: './data', describe: 'data directory (store, generated admin.token)' })
    .option('nats', { type: 'string', describe: 'NATS server URL(s), comma-separated; omit for the in-process bus' })
    .option('nats-creds', { type: 'string', describe: 'NATS credentials file (.creds: user JWT + nkey seed)' })
    .option('nats-user', { type: 'string', describe: 'NATS user name (with --nats-password)' })
    .option('nats-password', { type: 'string', describe: 'NATS password (prefer LOGWIRE_NATS_PASSWORD: flags show in ps)' })
    .option('nats-token', { type: 'string', describe: 'NATS token (prefer LOGWIRE_NATS_TOKEN)' })
    .option('nats-tls-ca', { type: 'string', describe: 'CA certificate (PEM) to verify the NATS server; turns TLS on' })
    .option('nats-tls-cert', { type: 'string', describe: 'client certificate (PEM) for NATS (with --nats-tls-key)' })
    .option('nats-tls-key', { type: 'string', describe: 'client private key (PEM) for NATS' })
    .option('cluster-secret', { type: 'string', describe: 'shared secret: sign what this hub sends over NATS, ignore what is not signed with it (prefer LOGWIRE_CLUSTER_SECRET)' })
    .option('tokens', { type: 'string', describe: 'tokens file (JSON); omit to generate an admin token in the data directory' })
    .option('retention', { type: 'string', describe: 'delete records older than this (event time), e.g. 7d' })
    .option('max-disk', { type: 'string', describe: 'delete oldest records while the store is larger, e.g. 10GB' })
    .option('tls-cert', { type: 'string', describe: 'TLS certificate file (PEM)' })
    .option('tls-key', { type: 'string', describe: 'TLS private key file (PEM)' })
    .option('log-level', { type: 'string', default: 'info', describe: 'trace, debug, info, warn, error, fatal, silent' })
    .option('max-message-bytes', { type: 'number', describe: 'longer messages are stored truncated (default 65536)' })
    .option('max-batch-bytes', { type: 'number', describe: 'largest ingest frame (default 8 MiB)' })
    .option('max-inflight', { type: 'number', describe: 'unacked batches per shipper connection (default 8)' })
    .option('max-inflight-bytes', { type: 'number', describe: 'ingest bytes decoded and stored at once across all connections; more wait unread (default 16 MiB)' })
    .option('max-queued-bytes', { type: 'number', describe: 'received ingest bytes waiting undecoded across all connections; past it a connection is closed with 1013 and a POST answered 503 (default 64 MiB)' })
    .option('max-streams', { type: 'number', describe: 'distinct streams in the store; records that would add one more are refused with stream_limit (default 250000)' })
    .option('max-streams-per-service', { type: 'number', describe: 'distinct streams (severity, host, file) per service; records that would add one more are refused with stream_limit (default 10000)' })
    .option('max-body-bytes', { type: 'number', describe: 'largest HTTP body (default 16 MiB)' })
    .option('heartbeat-ms', { type: 'number', describe: 'live-tail heartbeat interval (default 5000)' })
    .option('metrics-public', { type: 'boolean', default: true, describe: 'serve /metrics without a token' })
    .option('sinks', { type: 'string', describe: 'forward stored records to Loki, Elasticsearch, other hubs or HTTP (sinks.json; see docs/forwarding.md)' })
    .option('forward', { type: 'number', describe: 'Fluent Forward receiver on this TCP port (Fluentd, Fluent Bit, Docker fluentd driver)' })
    .option('forward-shared-key', { type: 'string', describe: 'require the Forward shared-key handshake with this key' })
    .option('syslog-tcp', { type: 'number', describe: 'syslog receiver on this TCP port (RFC 5424/3164; TLS with --tls-cert)' })
    .option('syslog-udp', { type: 'number', describe: 'syslog receiver on this UDP port' })
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
    maxInflight: argv.maxInflight, maxInflightBytes: argv.maxInflightBytes, maxQueuedBytes: argv.maxQueuedBytes,
    maxStreams: argv.maxStreams, maxStreamsPerService: argv.maxStreamsPerService, maxBodyBytes: argv.maxBodyBytes, heartbeatMs: argv.heartbeatMs,
    metricsPublic: argv.metricsPublic, sinks: argv.sinks,
    natsCreds: argv.natsCreds, natsUser: argv.natsUser, natsPassword: argv.natsPassword, natsToken: argv.natsToken,
    natsTlsCa: argv.natsTlsCa, natsTlsCert: argv.natsTlsCert, natsTlsKey: argv.natsTlsKey, clusterSecret: argv.clusterSecret,
    forward: argv.forward, forwardSharedKey: argv.forwardSharedKey, syslogTcp: argv.syslogTcp, syslogUdp: argv.syslogUdp,
  });
  const hub = await startHub(config);
  // The one stdout line scripts and tests read to learn the port.
  process.stdout.write(`logwire-hub listening on ${hub.url}\n`);
  for (const [name, port] of Object.entries(hub.receiverPorts)) process.stdout.write(`${name} receiver listening on ${config.host}:${port}\n`);
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
