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
  return new TailSession(cfg, io);
}

/** History, then the live tail; one instance per run of the command. */
class TailSession implements Session {
  readonly done: Promise<void>;
  private readonly history: HistoryClient;
  private readonly format: (r: JsonRecord) => string;
  private readonly printed = new RecentIds(RECENT_IDS);
  private live: LiveTail | undefined;
  private stopped = false;
  /** Live records held back until the catch-up query has printed (no starting id); else undefined. */
  private held: JsonRecord[] | undefined;

  constructor(private readonly cfg: Readonly<TailConfig>, private readonly io: SessionIo) {
    this.history = createHistoryClient({ httpUrl: cfg.httpUrl, token: cfg.token });
    this.format = createFormatter({ format: cfg.output, color: cfg.color });
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.live?.close();
  }

  private async run(): Promise<void> {
    const { cfg } = this;
    const anchor = cfg.follow ? await newestId(this.history) : undefined;
    const wantHistory = cfg.sinceMs !== undefined || cfg.limit !== undefined || !cfg.follow;
    const lastHistoryId = wantHistory ? await this.printHistory() : undefined;
    if (!cfg.follow || this.stopped) return;
    await this.follow(lastHistoryId ?? anchor);
  }

  /** Prints a batch, skipping ids printed lately; false when stdout wants us to wait for drain. */
  private write(records: JsonRecord[]): boolean {
    let text = '';
    for (const r of records) if (this.printed.add(r.id)) text += this.format(r);
    return text === '' ? !this.io.stdout.writableNeedDrain : this.io.stdout.write(text);
  }

  private drained(): Promise<void> {
    const { stdout } = this.io;
    if (!stdout.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        stdout.off('drain', done);
        stdout.off('close', done);
        resolve();
      };
      stdout.on('drain', done);
      stdout.on('close', done);
    });
  }

  /** The filter's query parameters, from `--since` when given. */
  private historyParams(): URLSearchParams {
    const params = filterParams(this.cfg.filter);
    if (this.cfg.sinceMs !== undefined) params.set('from', new Date(this.cfg.sinceMs).toISOString());
    return params;
  }

  /** Prints the history oldest first; returns the id of the last record printed. */
  private async printHistory(): Promise<string | undefined> {
    const params = this.historyParams();
    let lastId: string | undefined;
    if (this.cfg.limit !== undefined) {
      const records = await historyNewest(this.history, params, this.cfg.limit, MAX_PAGE);
      if (records.length > 0) {
        this.write(records);
        lastId = records[records.length - 1].id;
      }
    } else {
      for await (const page of historyAscending(this.history, params)) {
        if (this.stopped) break;
        this.write(page);
        lastId = page[page.length - 1].id;
        await this.drained();
      }
    }
    await this.drained();
    return lastId;
  }

  /** The live tail from `after`; without it, live records wait for the catch-up query. */
  private async follow(after: string | undefined): Promise<void> {
    this.held = after === undefined ? [] : undefined;
    let catchUpFailed: ((err: unknown) => void) | undefined;
    const catchUpError = new Promise<never>((_, reject) => {
      catchUpFailed = reject;
    });
    catchUpError.catch(() => undefined);

    const tail = openLiveTail({
      wsUrl: this.cfg.wsUrl,
      token: this.cfg.token,
      params: filterParams(this.cfg.filter),
      ...(after !== undefined ? { after } : {}),
      ...this.io.live,
      onOpen: (reconnected) => {
        if (!reconnected && this.held) this.catchUp(tail).catch((err: unknown) => catchUpFailed?.(err));
      },
      onRecords: (records) => {
        if (!this.held) return this.emit(tail, records);
        this.held.push(...records);
        return true;
      },
      onNotice: this.io.notice,
    });
    this.live = tail;
    await Promise.race([tail.done, catchUpError]);
  }

  /** Prints live records; when stdout is full, the tail pauses until it drains. */
  private emit(tail: LiveTail, records: JsonRecord[]): boolean {
    const ok = this.write(records);
    if (!ok) void this.drained().then(() => tail.resume());
    return ok;
  }

  /** Prints what was stored before the tail opened, then the live records held meanwhile. */
  private async catchUp(tail: LiveTail): Promise<void> {
    for await (const page of historyAscending(this.history, this.historyParams())) {
      this.write(page);
      tail.printedUpTo(page[page.length - 1].id);
    }
    const pending = this.held ?? [];
    this.held = undefined;
    if (pending.length > 0) this.emit(tail, pending);
  }
}
