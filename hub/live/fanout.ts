/**
 * The hub's second half, wired in one place: the bus (NATS with `--nats`, else in-process), the
 * cluster-wide history (with NATS), and the `/v1/tail` route. `openFanout(ctx)` hooks itself into
 * the context:
 * - `ctx.onStored` publishes every committed group on the bus (after the commit, never before);
 * - `ctx.history` becomes cluster-wide when NATS is configured (this hub's store merged by id
 *   with every other hub's answer);
 * - `ctx.healthChecks.bus` reports the bus state for /health (`ok: false` while NATS is down;
 *   not a 503: ingest and storage go on);
 * - `ctx.onClose` closes tails, then the cluster history, then the bus.
 */
import type { HubContext, RouteModule } from '../context.js';
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

export interface Fanout {
  bus: Bus;
  live: LiveTail;
  cluster?: ClusterHistory;
  route: RouteModule;
  close(): Promise<void>;
}

export function openFanout(ctx: HubContext, opts: FanoutOptions = {}): Fanout {
  const log = ctx.log.child({ mod: 'bus' });
  const { metrics, config } = ctx;
  // What NATS sends that the hub refuses is counted (docs/nats.md "What is counted").
  const drops = {
    message: (reason: string, n: number) => metrics.busDroppedMessages.inc({ reason }, n),
    record: (reason: string, n: number) => metrics.busDroppedRecords.inc({ reason }, n),
  };
  const bus: Bus = config.natsUrl
    ? openNatsBus({ servers: config.natsUrl, auth: config.natsAuth, clusterSecret: config.clusterSecret, recordLimits: ctx.limits, drops, root: opts.subjectRoot, name: `logwire-hub ${ctx.store.hubId}`, log })
    : openLocalBus({ root: opts.subjectRoot, onHandlerError: (err) => log.warn({ err }, 'bus subscriber failed') });

  ctx.metrics.busConnected.set(bus.status().ok ? 1 : 0);
  bus.onEvent((e) => ctx.metrics.busConnected.set(e.type === 'disconnected' ? 0 : 1));
  ctx.onStored = (records) => {
    bus.publishRecords(records);
    ctx.metrics.busPublished.inc(records.length);
  };

  let cluster: ClusterHistory | undefined;
  if (bus.kind === 'nats') {
    cluster = openClusterHistory({
      bus, local: ctx.history, hubId: ctx.store.hubId, announceIntervalMs: opts.announceIntervalMs, recordLimits: ctx.limits, drops,
      onAnswerCut: (reason) => metrics.clusterAnswersCut.inc({ reason }), log, ...opts.clusterBudgets,
    });
    ctx.history = cluster;
  }
  const c = cluster;
  ctx.healthChecks.set('bus', () => (c ? { ...bus.status(), peers: c.peers() } : bus.status()));

  const live = createLiveTail(ctx, bus, opts.liveTail);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await live.close();
      await cluster?.close();
      await bus.close();
    })();
    return closing;
  };
  ctx.onClose(close);
  return { bus, live, cluster, route: live.route, close };
}
