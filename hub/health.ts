/**
 * `/health` (liveness + readiness) and `/metrics` (Prometheus text). /health is 200 while the
 * hub can ingest and store, with each dependency's state in the body; 503 only when the store
 * cannot be used. A bus outage is reported (`"bus": {"ok": false}`) but is not a 503.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HubContext } from './context.js';
import { authenticate } from './auth/authenticate.js';
import { readRequest, watchAborted } from './http/request.js';
import { send, sendError, sendJson } from './http/respond.js';

/** The store's state for /health: not ok while it cannot write (disk full: docs/guarantees.md). */
export function storeHealth(ctx: HubContext): { ok: boolean; writable?: boolean; records?: number; bytes?: number; index_lag_records?: number; error?: string } {
  try {
    const w = ctx.store.writable();
    const out = { ok: w.ok, writable: w.ok, records: ctx.store.stats().total, bytes: ctx.store.diskBytes(), index_lag_records: ctx.store.indexLagRecords() };
    return w.ok ? out : { ...out, error: w.error };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

export function registerHealthRoutes(app: TemplatedApp, ctx: HubContext): void {
  const startedAt = Date.now();
  app.get('/health', (res) => {
    const aborted = watchAborted(res);
    const store = storeHealth(ctx);
    const body: Record<string, unknown> = { status: store.ok ? 'ok' : 'unavailable', hub: ctx.store.hubId, uptime_s: Math.round((Date.now() - startedAt) / 1000), store };
    for (const [name, check] of ctx.healthChecks) body[name] = check();
    sendJson(res, aborted, store.ok ? 200 : 503, body);
  });

  app.get('/metrics', (res, req) => {
    const aborted = watchAborted(res);
    const info = readRequest(req);
    void (async () => {
      try {
        if (!ctx.config.metricsPublic) authenticate(ctx.tokens, info.authorization, info.query.get('token'), 'read');
        const store = storeHealth(ctx);
        if (store.ok) {
          ctx.metrics.storeBytes.set(store.bytes ?? 0);
          ctx.metrics.storeRecords.set(store.records ?? 0);
        }
        const text = await ctx.metrics.registry.metrics();
        send(res, aborted, 200, ctx.metrics.registry.contentType, text);
      } catch (err) {
        sendError(res, aborted, err);
      }
    })();
  });
}
