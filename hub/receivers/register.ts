/**
 * Registers every HTTP protocol receiver (docs/receivers.md). Must run before the query
 * routes' catch-all.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HubContext } from '../context.js';
import { registerLokiRoutes } from './loki/route.js';
import { registerOtlpRoutes } from './otlp/route.js';

export function registerReceivers(app: TemplatedApp, ctx: HubContext): void {
  registerLokiRoutes(app, ctx);
  registerOtlpRoutes(app, ctx);
}
