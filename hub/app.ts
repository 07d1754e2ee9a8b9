/**
 * Wiring: start the hub's modules in dependency order (auth → store → bus + history → sinks →
 * context → routes → listen → receivers → retention) and stop them in reverse. Each module gets
 * the narrow things it uses; the context is built once from them and no module rewrites it.
 * Nothing here parses flags or reads process.env.
 */
import uWS from 'uWebSockets.js';
import { mkdirSync } from 'node:fs';
import type { HubConfig } from './config.js';
import type { HubContext } from './context.js';
import { HubError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { adminRegistry, ensureAdminToken, loadTokensFile, type TokenRegistry } from './auth/tokens.js';
import { openStore } from './store/store.js';
import { lockDataDir } from './data-lock.js';
import { startRetention } from './store/retention.js';
import { localHistory } from './query/local-history.js';
import { registerHealthRoutes } from './health.js';
import { registerIngestRoutes } from './ingest/server.js';
import { registerHttpIngestRoutes } from './ingest/http.js';
import { InflightBudget } from './ingest/budget.js';
import { QueuedBudget } from './ingest/queued-budget.js';
import { registerQueryRoutes } from './query/http.js';
import { DEFAULT_LIMITS } from './protocol/record.js';
import { openFanout, type FanoutOptions } from './live/fanout.js';
import { openSinks } from './sinks/sinks.js';
import { registerReceivers, startSocketReceivers } from './receivers/register.js';
import { registerUiRoutes } from './ui/routes.js';

export interface Hub {
  /** The port actually listened on (useful with --port 0). */
  port: number;
  /** Base URL, e.g. http://127.0.0.1:7070 */
  url: string;
  ctx: HubContext;
  /** Ports of the TCP/UDP receivers that are on (forward, syslog-tcp, syslog-udp). */
  receiverPorts: Record<string, number>;
  /** Where the generated admin token is, when no tokens file is used. */
  adminTokenPath?: string;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Bus and live-tail knobs (tests, benchmarks): subject root, tail buffer limits. */
  fanout?: FanoutOptions;
}

function loadTokens(config: Readonly<HubConfig>): { tokens: TokenRegistry; adminTokenPath?: string } {
  if (config.tokensFile) return { tokens: loadTokensFile(config.tokensFile) };
  const admin = ensureAdminToken(config.dataDir);
  return { tokens: adminRegistry(admin.token), adminTokenPath: admin.path };
}

function listen(app: uWS.TemplatedApp, host: string, port: number): Promise<uWS.us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (socket) resolve(socket);
      else reject(new HubError('HUB_ERR_CONFIG', `cannot listen on ${host}:${port}: the port is in use or the address is not local; pick another --port/--host`));
    });
  });
}

export async function startHub(config: Readonly<HubConfig>, opts: StartOptions = {}): Promise<Hub> {
  mkdirSync(config.dataDir, { recursive: true });
  // One hub per data directory (data-lock.ts): before anything reads or writes there.
  const lock = lockDataDir(config.dataDir);
  let hub: Hub;
  try {
    hub = await startLocked(config, opts);
  } catch (err) {
    lock.release();
    throw err;
  }
  const close = hub.close;
  return { ...hub, close: () => close().finally(() => lock.release()) };
}

async function startLocked(config: Readonly<HubConfig>, opts: StartOptions): Promise<Hub> {
  const log = opts.log ?? createLogger(config.logLevel);
  const { tokens, adminTokenPath } = loadTokens(config);
  // 1. Store: everything below depends on it (hub/store/, docs/storage.md).
  const store = await openStore({ dir: config.dataDir, limits: { maxStreams: config.maxStreams, maxStreamsPerService: config.maxStreamsPerService }, onIndexError: (err) => log.warn({ err }, 'indexing from the log failed; retrying (records stay readable from the log)') });
  const metrics = createMetrics();
  const limits = { ...DEFAULT_LIMITS, maxMessageBytes: config.maxMessageBytes };

  // 2. Bus and history (hub/live/fanout.ts): NATS or in-process; cluster-wide history with NATS.
  const fanout = openFanout({ config, hubId: store.hubId, limits, metrics, log, local: localHistory(store) }, opts.fanout);

  // 3. Forwarding (hub/sinks/): each sink reads the store after its own cursor; stored records wake them.
  const sinks = config.sinks.length > 0 ? openSinks(config.sinks, { store, log, registry: metrics.registry }) : undefined;

  // 4. The context every route module reads; built once, never rewritten.
  const closers: Array<() => void | Promise<void>> = [fanout.close];
  const queuedBudget = new QueuedBudget(config.maxQueuedBytes);
  const ctx: HubContext = {
    config,
    log,
    metrics,
    store,
    tokens,
    limits,
    onStored: (records) => {
      fanout.publish(records);
      sinks?.notify();
    },
    history: fanout.history,
    onClose: (fn) => closers.push(fn),
    sinkStatus: sinks ? () => sinks.status() : undefined,
    healthChecks: new Map([['bus', fanout.health]]),
    ingestQueue: queuedBudget,
  };

  // 5. Routes.
  const app = config.tlsCert ? uWS.SSLApp({ cert_file_name: config.tlsCert, key_file_name: config.tlsKey }) : uWS.App();
  registerHealthRoutes(app, ctx);
  const ingestBudget = new InflightBudget(config.maxInflightBytes);
  registerIngestRoutes(app, ctx, ingestBudget, queuedBudget);
  registerHttpIngestRoutes(app, ctx, ingestBudget, queuedBudget);
  fanout.route(app, ctx);
  // Other protocols' HTTP receivers (Loki, OTLP, Elasticsearch): hub/receivers/.
  registerReceivers(app, ctx);
  registerUiRoutes(app, ctx);
  // Last: it also answers 404/405 for everything not registered above.
  registerQueryRoutes(app, ctx);

  let listenSocket: uWS.us_listen_socket;
  try {
    listenSocket = await listen(app, config.host, config.port);
  } catch (err) {
    await sinks?.close();
    await fanout.close();
    await store.close();
    throw err;
  }
  const port = uWS.us_socket_local_port(listenSocket);
  let sockets: Awaited<ReturnType<typeof startSocketReceivers>>;
  try {
    sockets = await startSocketReceivers(ctx);
  } catch (err) {
    uWS.us_listen_socket_close(listenSocket);
    for (const fn of closers.reverse()) await fn();
    await store.close();
    throw err;
  }
  const retention = config.retentionMs || config.maxDiskBytes
    ? startRetention(store, { maxAgeMs: config.retentionMs, maxDiskBytes: config.maxDiskBytes, intervalMs: config.retentionIntervalMs, log })
    : undefined;
  const scheme = config.tlsCert ? 'https' : 'http';
  log.info({ port, dataDir: config.dataDir, hub: store.hubId }, 'hub started');

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `${scheme}://${config.host}:${port}`,
    ctx,
    receiverPorts: sockets.ports,
    adminTokenPath,
    close() {
      closing ??= (async () => {
        uWS.us_listen_socket_close(listenSocket);
        await sockets.close();
        await retention?.close();
        await sinks?.close();
        for (const fn of closers.reverse()) await fn();
        await store.close();
        log.info('hub stopped');
      })();
      return closing;
    },
  };
}
