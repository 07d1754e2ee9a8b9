/**
 * HubContext: what route modules receive from app.ts. Each module registers its routes with
 * `register*(app, ctx)` and takes only what it needs from here.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HubConfig } from './config.js';
import type { Logger } from './log.js';
import type { HubMetrics } from './metrics.js';
import type { Store, StoredRecords } from './store/types.js';
import type { TokenRegistry } from './auth/tokens.js';
import type { ValidationLimits } from './protocol/record.js';
import type { WireRecord } from './protocol/frames.js';
import type { QueuedBudget } from './ingest/queued-budget.js';

export interface HubContext {
  config: Readonly<HubConfig>;
  log: Logger;
  metrics: HubMetrics;
  store: Store;
  tokens: TokenRegistry;
  limits: ValidationLimits;
  /**
   * Called with each group of records right after they are durably stored (from any ingest
   * path): app.ts sends them to the bus (live tails, other hubs) and wakes the sinks. The records
   * are built only if someone reads `stored.records`.
   */
  onStored: (stored: StoredRecords) => void;
  /** History queries (GET /logs, tail `after=`): local store, or merged across hubs. */
  history: History;
  /** Registers work to do when the hub stops (before the store closes), e.g. closing sockets. */
  onClose: (fn: () => void | Promise<void>) => void;
  /** Forwarding sinks' state for /stats (`sinks` key); undefined when none are configured. */
  sinkStatus?: () => import('./sinks/sink.js').SinkStatus[];
  /** The cap on ingest bytes received and not yet decoded (--max-queued-bytes), shared by every ingest path. */
  ingestQueue: QueuedBudget;
  /** Extra sections for /health (e.g. the bus): name → state with an `ok` flag. */
  healthChecks: Map<string, () => { ok: boolean; [k: string]: unknown }>;
}

export type RouteModule = (app: TemplatedApp, ctx: HubContext) => void;

/** One page of a history query. Other hubs receive the parsed filter, so all apply the same one. */
export interface HistoryQuery {
  filter: import('./filter/filter.js').RecordFilter;
  order: 'asc' | 'desc';
  /** `event`: by (timestamp, id), as GET /logs answers; `receive` (default): by id, as tails replay. */
  by?: 'receive' | 'event';
  /** Exclusive cursor id. */
  after?: string;
  /** With `by: 'event'` and `after`: the event time of that record (the cursor is (ts, id)). */
  afterTs?: number;
  limit: number;
}

/**
 * Where history queries are answered. On one hub: the local store. With NATS: this hub's store
 * merged (in the query's order) with every other hub's answer.
 */
export interface History {
  query(q: HistoryQuery): Promise<WireRecord[]>;
}
