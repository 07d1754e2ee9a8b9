/**
 * HubContext: what route modules receive from app.ts. Each module registers its routes with
 * `register*(app, ctx)` and takes only what it needs from here.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HubConfig } from './config.js';
import type { Logger } from './log.js';
import type { HubMetrics } from './metrics.js';
import type { Store } from './store/types.js';
import type { TokenRegistry } from './auth/tokens.js';
import type { ValidationLimits } from './protocol/record.js';
import type { WireRecord } from './protocol/frames.js';

export interface HubContext {
  config: Readonly<HubConfig>;
  log: Logger;
  metrics: HubMetrics;
  store: Store;
  tokens: TokenRegistry;
  limits: ValidationLimits;
  /**
   * Called with each group of records right after they are durably stored (from any ingest
   * path). The bus/live layer hooks in here to fan records out.
   */
  onStored: (records: WireRecord[]) => void;
}

export type RouteModule = (app: TemplatedApp, ctx: HubContext) => void;
