/**
 * Wiring: start the hub's modules in dependency order (store → auth → bus → routes → listen →
 * retention) and stop them in reverse. Nothing here parses flags or reads process.env.
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
import { startRetention } from './store/retention.js';
import { localHistory } from './query/local-history.js';
import { registerHealthRoutes } from './health.js';
import { registerIngestRoutes } from './ingest/server.js';
import { registerHttpIngestRoutes } from './ingest/http.js';
import { registerQueryRoutes } from './query/http.js';
import { DEFAULT_LIMITS } from './protocol/record.js';
import { openFanout, type FanoutOptions } from './live/fanout.js';
import { registerReceivers } from './receivers/register.js';
import { registerUiRoutes } from './ui/routes.js';

export interface Hub {
  /** The port actually listened on (useful with --port 0). */
  port: number;
  /** Base URL, e.g. http://127.0.0.1:7070 */
  url: string;
  ctx: HubContext;
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
  const log = opts.log ?? createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true });
  const { tokens, adminTokenPath } = loadTokens(config);
  const store = await openStore({ dir: config.dataDir });
  const closers: Array<() => void | Promise<void>> = [];

  const ctx: HubContext = {
    config,
    log,
    metrics: createMetrics(),
    store,
    tokens,
    limits: { ...DEFAULT_LIMITS, maxMessageBytes: config.maxMessageBytes },
    onStored: () => undefined,
    history: localHistory(store),
    onClose: (fn) => closers.push(fn),
    healthChecks: new Map(),
  };

  // Live fan-out (hub/live/fanout.ts): bus (NATS or in-process) → ctx.onStored; cluster-wide
  // ctx.history with NATS; /health "bus"; /v1/tail. Closed through ctx.onClose, after ingest.
  const fanout = openFanout(ctx, opts.fanout);

  const app = config.tlsCert ? uWS.SSLApp({ cert_file_name: config.tlsCert, key_file_name: config.tlsKey }) : uWS.App();
  registerHealthRoutes(app, ctx);
  registerIngestRoutes(app, ctx);
  registerHttpIngestRoutes(app, ctx);
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
    await fanout.close();
    await store.close();
    throw err;
  }
  const port = uWS.us_socket_local_port(listenSocket);
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
    adminTokenPath,
    close() {
      closing ??= (async () => {
        uWS.us_listen_socket_close(listenSocket);
        await retention?.close();
        for (const fn of closers.reverse()) await fn();
        await store.close();
        log.info('hub stopped');
      })();
      return closing;
    },
  };
}
