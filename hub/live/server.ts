/**
 * `/v1/tail` (docs/protocol.md): the uWS WebSocket behaviour of live tails.
 *
 * `ws[s]://HUB/v1/tail?service=&severity=&host=&file=&q=&regex=&after=&format=json|msgpack`
 * - Token in `Authorization` (Bearer/Token) or `token=`; `read` scope. 401/403 are HTTP answers
 *   before the upgrade. The upgrade handler is synchronous (nothing awaited), so the request is
 *   never used after it returns and no onAborted is needed.
 * - A bad filter (`regex`, `severity`, times) or format still upgrades, then closes with 1008 and
 *   the reason, as WebSocket clients (browsers) cannot read an HTTP error body.
 * - Frames: see encode.ts (format) and tailer.ts (drop policy, `after=` handoff).
 *
 * Transport discipline: every write happens inside `ws.cork` — flushes run from setImmediate,
 * heartbeats from a timer, replays from promises. `send()`'s result is backpressure status,
 * `drain` resumes. uWS's own maxBackpressure is set far above ours so uWS never drops silently.
 */
import { isValidId } from '../protocol/ids.js';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { HubContext, RouteModule } from '../context.js';
import type { Bus } from '../bus/bus.js';
import { upgradeAuthenticated } from '../http/upgrade.js';
import { CloseCode } from '../protocol/frames.js';
import { logSubjectsFor } from '../protocol/subjects.js';
import { parseFilter, type RecordFilter } from '../filter/filter.js';
import { scopeFilter } from '../filter/scope.js';
import type { TailFormat } from './encode.js';
import { TailRouter } from './router.js';
import { replayThenLive } from './replay.js';
import { Tailer, type TailerOptions } from './tailer.js';

/** Defaults for the live tail's limits (knobs for tests and benchmarks; not CLI flags). */
export const DEFAULT_TAIL_MAX_BUFFERED_BYTES = 1024 * 1024;
/** A client that reads nothing for this long while over its buffer limit is closed. */
export const DEFAULT_TAIL_STUCK_MS = 30_000;
export const DEFAULT_TAIL_MAX_FRAME_RECORDS = 1000;
export const DEFAULT_TAIL_MAX_FRAME_BYTES = 256 * 1024;
export const DEFAULT_TAIL_REPLAY_PAGE_RECORDS = 1000;
export const DEFAULT_TAIL_MAX_REPLAY_BUFFER_RECORDS = 100_000;

export interface LiveTailOptions {
  maxBufferedBytes?: number;
  stuckMs?: number;
  maxFrameRecords?: number;
  maxFrameBytes?: number;
  replayPageRecords?: number;
  maxReplayBufferRecords?: number;
}

interface TailUserData {
  error?: string;
  filter?: RecordFilter;
  format: TailFormat;
  after?: string;
  /** `last=N`: start with the N newest stored matches (receive order), then live. */
  last?: number;
  patterns: string[];
  tailer?: Tailer;
  ws?: WebSocket<TailUserData>;
}

export interface LiveTail {
  route: RouteModule;
  clients(): number;
  /** Distinct bus subscriptions held for all clients. */
  busSubscriptions(): number;
  close(): Promise<void>;
}

const MAX_AFTER_CHARS = 128;
/** Most records `last=` replays before going live. */
export const MAX_TAIL_LAST = 1000;

function parseTailQuery(query: URLSearchParams, root: string, services: readonly string[] | '*'): TailUserData {
  const parsed = parseFilter((name) => query.getAll(name));
  if (!parsed.ok) return { error: `${parsed.param}: ${parsed.message}`, format: 'json', patterns: [] };
  const format = (query.get('format') ?? 'json').toLowerCase();
  if (format !== 'json' && format !== 'msgpack') return { error: `format: "${format}" is not json or msgpack`, format: 'json', patterns: [] };
  const after = query.get('after') ?? undefined;
  if (after !== undefined && (after === '' || after.length > MAX_AFTER_CHARS || !isValidId(after))) {
    return { error: 'after: is not a record id; pass the id of the last record you received', format, patterns: [] };
  }
  const lastParam = query.get('last') ?? undefined;
  const last = lastParam === undefined ? undefined : Number(lastParam);
  if (last !== undefined && (!/^\d+$/.test(lastParam!) || last < 1 || last > MAX_TAIL_LAST)) {
    return { error: `last: "${String(lastParam).slice(0, 20)}" is not a whole number from 1 to ${MAX_TAIL_LAST}`, format, patterns: [] };
  }
  if (last !== undefined && after !== undefined) return { error: 'last: cannot be combined with after (after already says where to start)', format, patterns: [] };
  const f = scopeFilter(parsed.filter, services); // a token bound to services sees only those (docs/tokens.md)
  const patterns = logSubjectsFor(f.services ? [...f.services] : undefined, f.severities ? [...f.severities] : undefined, root);
  return { filter: f, format, after, last, patterns };
}

export function createLiveTail(ctx: HubContext, bus: Bus, opts: LiveTailOptions = {}): LiveTail {
  const router = new TailRouter(bus);
  const sockets = new Set<WebSocket<TailUserData>>();
  const dirty = new Set<Tailer>();
  const byTailer = new WeakMap<Tailer, WebSocket<TailUserData>>();
  let flushScheduled = false;
  const { metrics, log } = ctx;

  const cork = (t: Tailer, fn: () => void): void => {
    const ws = byTailer.get(t);
    if (!ws || t.closed) return;
    ws.cork(fn);
  };

  const flushAll = (): void => {
    flushScheduled = false;
    const now = Date.now();
    for (const t of dirty) cork(t, () => t.flush(now));
    dirty.clear();
  };

  const hooks = {
    schedule(t: Tailer) {
      dirty.add(t);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushAll);
      }
    },
    sent: (n: number) => metrics.tailRecordsSent.inc(n),
    dropped: (n: number) => metrics.tailRecordsDropped.inc(n),
  };

  const base: Omit<TailerOptions, 'format' | 'filter'> = {
    maxBufferedBytes: opts.maxBufferedBytes ?? DEFAULT_TAIL_MAX_BUFFERED_BYTES,
    stuckMs: opts.stuckMs ?? DEFAULT_TAIL_STUCK_MS,
    heartbeatMs: ctx.config.heartbeatMs,
    maxFrameRecords: opts.maxFrameRecords ?? DEFAULT_TAIL_MAX_FRAME_RECORDS,
    maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_TAIL_MAX_FRAME_BYTES,
    maxReplayBufferRecords: opts.maxReplayBufferRecords ?? DEFAULT_TAIL_MAX_REPLAY_BUFFER_RECORDS,
  };
  const pageRecords = opts.replayPageRecords ?? DEFAULT_TAIL_REPLAY_PAGE_RECORDS;

  const tickMs = Math.max(10, Math.min(1000, Math.floor(ctx.config.heartbeatMs / 2)));
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const ws of sockets) {
      const t = ws.getUserData().tailer;
      if (t && !t.closed) ws.cork(() => t.tick(now));
    }
  }, tickMs);
  ticker.unref();

  const route: RouteModule = (app: TemplatedApp) => {
    app.ws<TailUserData>('/v1/tail', {
      maxPayloadLength: 16 * 1024,
      maxBackpressure: base.maxBufferedBytes + 64 * 1024 * 1024,
      closeOnBackpressureLimit: 0,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade(res, req, context) {
        upgradeAuthenticated(res, req, context, ctx.tokens, 'read', (principal, query) => parseTailQuery(query, bus.root, principal.services));
      },
      open(ws) {
        const ud = ws.getUserData();
        if (ud.error || !ud.filter) {
          log.info({ reason: ud.error }, 'live tail refused: bad parameters');
          ws.end(CloseCode.policy, (ud.error ?? 'bad parameters').slice(0, 120));
          return;
        }
        const t = new Tailer(ws, { ...base, format: ud.format, filter: ud.filter }, hooks);
        ud.tailer = t;
        byTailer.set(t, ws);
        sockets.add(ws);
        metrics.tailClients.inc();
        router.add(t, ud.patterns);
        const start = ud.after !== undefined ? { after: ud.after } : ud.last !== undefined ? { last: ud.last } : undefined;
        if (start) void replayThenLive(t, { history: ctx.history, bus, log, cork }, ud.filter, start, pageRecords);
      },
      message() {
        // Clients have nothing to say on a tail; pings are answered by uWS.
      },
      drain(ws) {
        const t = ws.getUserData().tailer;
        t?.drained();
      },
      close(ws) {
        const ud = ws.getUserData();
        const t = ud.tailer;
        if (!t) return;
        t.markClosed();
        dirty.delete(t);
        sockets.delete(ws);
        router.remove(t, ud.patterns);
        metrics.tailClients.dec();
      },
    });
  };

  return {
    route,
    clients: () => sockets.size,
    busSubscriptions: () => router.subscriptionCount(),
    async close() {
      clearInterval(ticker);
      for (const ws of [...sockets]) {
        const t = ws.getUserData().tailer;
        if (t && !t.closed) ws.cork(() => t.close(CloseCode.goingAway, 'hub shutting down'));
      }
      router.close();
    },
  };
}
