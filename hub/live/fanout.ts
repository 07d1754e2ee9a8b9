/**
 * The hub's second half, wired in one place: the bus (NATS with `--nats`, else in-process), the
 * cluster-wide history (with NATS), and the `/v1/tail` route. `openFanout` takes the narrow things
 * it needs and hands back what app.ts wires into the context; it changes nothing it was given:
 * - `publish(records)` puts every committed group on the bus (app.ts calls it after the commit);
 * - `history` is cluster-wide when NATS is configured (this hub's store merged by id with every
 *   other hub's answer), else the local history it was given;
 * - `health()` reports the bus state for /health (`ok: false` while NATS is down; not a 503:
 *   ingest and storage go on);
 * - `close()` closes tails, then the cluster history, then the bus.
 */
import type { History, RouteModule } from '../context.js';
import type { HubConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { HubMetrics } from '../metrics.js';
import type { ValidationLimits } from '../protocol/record.js';
import type { StoredRecords } from '../store/types.js';
import type { Bus } from '../bus/bus.js';
import { openLocalBus } from '../bus/local-bus.js';
import { openNatsBus } from '../bus/nats-bus.js';
import { openClusterHistory, type ClusterHistory, type ClusterHistoryOptions } from '../bus/cluster-history.js';
import { createLiveTail, type LiveTail, type LiveTailOptions } from './server.js';

export interface FanoutOptions {
  /** Subject root (default `logwire`); tests sharing one NATS server use a unique root. */
  subjectRoot?: string;
  liveTail?: LiveTailOptions;
  /** Cluster announce interval; default 2000 ms. */
  announceIntervalMs?: number;
  /** Byte budgets of cluster history (tests); defaults in cluster-history.ts. */
  clusterBudgets?: Pick<ClusterHistoryOptions, 'maxPeerAnswerBytes' | 'maxQueryPeerBytes' | 'maxHeldPeerBytes' | 'maxPeers'>;
}

/** What the fan-out needs from the hub. */
export interface FanoutDeps {
  config: Pick<HubConfig, 'natsUrl' | 'natsAuth' | 'clusterSecret'>;
  hubId: string;
  limits: ValidationLimits;
  metrics: HubMetrics;
  log: Logger;
  /** This hub's own history (the store). */
  local: History;
}

export interface Fanout {
  bus: Bus;
  cluster?: ClusterHistory;
  /** History for GET /logs and tail replays: cluster-wide with NATS, else `local`. */
  history: History;
  /** Publishes a committed group on the bus (its records are built only when the bus has takers). */
  publish(stored: StoredRecords): void;
  /** The bus section of /health. */
  health(): { ok: boolean; [k: string]: unknown };
  /** Registers `/v1/tail` (the live tail is created here, with the finished context). */
  route: RouteModule;
  close(): Promise<void>;
}

export function openFanout(deps: FanoutDeps, opts: FanoutOptions = {}): Fanout {
  const log = deps.log.child({ mod: 'bus' });
  const { metrics, config } = deps;
  // What NATS sends that the hub refuses is counted (docs/nats.md "What is counted").
  const drops = {
    message: (reason: string, n: number) => metrics.busDroppedMessages.inc({ reason }, n),
    record: (reason: string, n: number) => metrics.busDroppedRecords.inc({ reason }, n),
  };
  const bus: Bus = config.natsUrl
    ? openNatsBus({ servers: config.natsUrl, auth: config.natsAuth, clusterSecret: config.clusterSecret, recordLimits: deps.limits, drops, root: opts.subjectRoot, name: `logwire-hub ${deps.hubId}`, log })
    : openLocalBus({ root: opts.subjectRoot, onHandlerError: (err) => log.warn({ err }, 'bus subscriber failed') });

  metrics.busConnected.set(bus.status().ok ? 1 : 0);
  bus.onEvent((e) => metrics.busConnected.set(e.type === 'disconnected' ? 0 : 1));
  const publish = (stored: StoredRecords): void => {
    if (bus.wantsRecords()) bus.publishRecords(stored.records);
    metrics.busPublished.inc(stored.count);
  };

  let cluster: ClusterHistory | undefined;
  if (bus.kind === 'nats') {
    cluster = openClusterHistory({
      bus, local: deps.local, hubId: deps.hubId, announceIntervalMs: opts.announceIntervalMs, recordLimits: deps.limits, drops,
      onAnswerCut: (reason) => metrics.clusterAnswersCut.inc({ reason }), log, ...opts.clusterBudgets,
    });
  }
  const c = cluster;
  const health = () => (c ? { ...bus.status(), peers: c.peers() } : bus.status());

  let live: LiveTail | undefined;
  const route: RouteModule = (app, ctx) => {
    live = createLiveTail(ctx, bus, opts.liveTail);
    live.route(app, ctx);
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await live?.close();
      await cluster?.close();
      await bus.close();
    })();
    return closing;
  };
  return { bus, cluster, history: cluster ?? deps.local, publish, health, route, close };
}
