/**
 * One tail-cli session: optional history, then the live tail, written to stdout.
 *
 * Handoff without gap or duplicate (docs/protocol.md, docs/guarantees.md):
 * - when following, the id of the newest stored record (any service) is read first, as the
 *   anchor: every record that arrives later has a greater id;
 * - history (`--since`, `--limit`, `--no-follow`) is printed oldest first;
 * - the live tail starts `after=` the last history record printed, or after the anchor when the
 *   history printed nothing, so the hub replays what arrived meanwhile and then goes live.
 * - when the store was empty (no anchor), there is no id to start after: the live tail opens
 *   first and holds its records; once it is open, one history query fetches whatever was stored
 *   in between, prints it, and the held records follow minus those ids (ids are compared only
 *   for equality, never for order: they are opaque to clients).
 * - belt and braces: the ids of the last RECENT_IDS records printed are remembered, and a record
 *   arriving again (a handoff or reconnect race on the hub side) is not printed twice.
 *
 * stdout backpressure pauses the WebSocket (the hub then counts drops for us rather than for
 * anyone else). A closed stdout (`| head`) ends the session with exit 0.
 */
import type { Writable } from 'node:stream';
import type { JsonRecord } from '../hub/protocol/index.js';
import { filterParams, MAX_PAGE } from './config.js';
import type { TailConfig } from './config.js';
import { createHistoryClient, historyAscending, historyNewest, newestId } from './history.js';
import type { HistoryClient } from './history.js';
import { openLiveTail } from './live.js';
import type { LiveTail, LiveTailOptions } from './live.js';
import { createFormatter } from './output.js';

/** How many recently printed ids are remembered to suppress a repeated record. */
export const RECENT_IDS = 10_000;

/** A bounded set of recently printed ids (insertion order eviction). */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}

  /** Adds the id; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

export interface SessionIo {
  stdout: Writable;
  /** One line per notice, already prefixed by the caller's convention. */
  notice: (line: string) => void;
  /** Live-tail tuning for tests (idle timeout, backoff). */
  live?: Pick<LiveTailOptions, 'idleTimeoutMs' | 'pingTimeoutMs' | 'backoffInitialMs' | 'backoffMaxMs'>;
}

export interface Session {
  /** Resolves when the session ends normally (history done, or stopped); rejects with CliError. */
  readonly done: Promise<void>;
  /** Stops following (Ctrl-C, closed stdout). */
  stop(): Promise<void>;
}

export function startSession(cfg: Readonly<TailConfig>, io: SessionIo): Session {
  const history: HistoryClient = createHistoryClient({ httpUrl: cfg.httpUrl, token: cfg.token });
  const format = createFormatter({ format: cfg.output, color: cfg.color });
  let live: LiveTail | undefined;
  let stopped = false;
  const printed = new RecentIds(RECENT_IDS);

  function write(records: JsonRecord[]): boolean {
    let text = '';
    for (const r of records) if (printed.add(r.id)) text += format(r);
    return text === '' ? !io.stdout.writableNeedDrain : io.stdout.write(text);
  }

  function drained(): Promise<void> {
    if (!io.stdout.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        io.stdout.off('drain', done);
        io.stdout.off('close', done);
        resolve();
      };
      io.stdout.on('drain', done);
      io.stdout.on('close', done);
    });
  }

  async function printHistory(): Promise<string | undefined> {
    const params = filterParams(cfg.filter);
    if (cfg.sinceMs !== undefined) params.set('from', new Date(cfg.sinceMs).toISOString());
    let lastId: string | undefined;
    if (cfg.limit !== undefined) {
      const records = await historyNewest(history, params, cfg.limit, MAX_PAGE);
      if (records.length > 0) {
        write(records);
        lastId = records[records.length - 1].id;
      }
    } else {
      for await (const page of historyAscending(history, params)) {
        if (stopped) break;
        write(page);
        lastId = page[page.length - 1].id;
        await drained();
      }
    }
    await drained();
    return lastId;
  }

  async function main(): Promise<void> {
    const anchor = cfg.follow ? await newestId(history) : undefined;
    const wantHistory = cfg.sinceMs !== undefined || cfg.limit !== undefined || !cfg.follow;
    const lastHistoryId = wantHistory ? await printHistory() : undefined;
    if (!cfg.follow || stopped) return;
    const after = lastHistoryId ?? anchor;
    // Without a starting id, hold live records until the catch-up query has been printed.
    let held: JsonRecord[] | undefined = after === undefined ? [] : undefined;
    let catchUpFailed: ((err: unknown) => void) | undefined;
    const catchUpError = new Promise<never>((_, reject) => {
      catchUpFailed = reject;
    });
    catchUpError.catch(() => undefined);

    const emit = (records: JsonRecord[]): boolean => {
      const ok = write(records);
      if (!ok) void drained().then(() => tail.resume());
      return ok;
    };

    const catchUp = async (): Promise<void> => {
      const params = filterParams(cfg.filter);
      if (cfg.sinceMs !== undefined) params.set('from', new Date(cfg.sinceMs).toISOString());
      for await (const page of historyAscending(history, params)) {
        write(page);
        tail.printedUpTo(page[page.length - 1].id);
      }
      const pending = held ?? [];
      held = undefined;
      if (pending.length > 0) emit(pending);
    };

    const tail = openLiveTail({
      wsUrl: cfg.wsUrl,
      token: cfg.token,
      params: filterParams(cfg.filter),
      ...(after !== undefined ? { after } : {}),
      ...io.live,
      onOpen: (reconnected) => {
        if (!reconnected && held) catchUp().catch((err: unknown) => catchUpFailed?.(err));
      },
      onRecords: (records) => {
        if (held) {
          held.push(...records);
          return true;
        }
        return emit(records);
      },
      onNotice: io.notice,
    });
    live = tail;
    await Promise.race([tail.done, catchUpError]);
  }

  return {
    done: main(),
    async stop() {
      stopped = true;
      await live?.close();
    },
  };
}
