/**
 * One live-tail client: its filter, its queue and its drop policy (docs/protocol.md; Loki's tailer.go).
 *
 * Queue: records matched since the last flush (`pending`), flushed once per event-loop turn by
 * the server, inside a cork. The real buffer is the socket's: uWS keeps what the client has not
 * read yet (`getBufferedAmount()`).
 *
 * Drop policy (live records only): when the socket holds more than `maxBufferedBytes`, pending
 * records are dropped and counted; the count goes out as `{type:"dropped", count}` just before
 * the next records frame (or as soon as the socket drains). Only this client loses anything:
 * the bus handler never waits, so ingest and other clients are unaffected. A client whose buffer
 * stays over the limit for `stuckMs` is closed with 1008 and a reason.
 *
 * `after=` handoff: while the stored records are replayed (which never drops: it waits for the
 * socket to drain), live records are held in a side buffer. A live record (held, or arriving
 * later: publishing follows the commit by a few event-loop turns) is a duplicate exactly when its
 * id is not above the highest replayed id of the same origin hub: ids are in commit order within
 * a hub, so every matching record of that hub up to that id was visible to the replay. The
 * stream continues with no gap and no duplicate. If the side buffer overflows it is
 * discarded and the replay simply goes on: those records are in the store.
 */
import type { GapFrame, WireRecord } from '../protocol/frames.js';
import { CloseCode } from '../protocol/frames.js';
import { matchRecord, type RecordFilter } from '../filter/filter.js';
import { ID_LENGTH, RTS_CHARS, TAG_CHARS } from '../protocol/ids.js';
import { encodeControl, encodeRecords, type EncodedFrame, type TailFormat } from './encode.js';

/** What a tailer needs from its WebSocket (a uWS WebSocket satisfies it). */
export interface TailSocket {
  /** uWS semantics: 1 sent, 0 sent but buffered (backpressure), 2 dropped (over maxBackpressure). */
  send(data: string | Uint8Array, isBinary: boolean): number;
  getBufferedAmount(): number;
  end(code: number, reason: string): void;
}

export interface TailerOptions {
  format: TailFormat;
  filter: RecordFilter;
  /** Socket bytes above which live records are dropped for this client. */
  maxBufferedBytes: number;
  /** A client over the limit for this long is closed (1008). */
  stuckMs: number;
  /** Idle time after which a heartbeat is sent. */
  heartbeatMs: number;
  /** Upper bounds of one records frame. */
  maxFrameRecords: number;
  maxFrameBytes: number;
  /** Live records held during an `after=` replay before the holding buffer is discarded. */
  maxReplayBufferRecords: number;
}

export interface TailerHooks {
  /** Ask the server to call `flush()` (corked) soon. */
  schedule(t: Tailer): void;
  sent(records: number): void;
  dropped(records: number): void;
}

interface ReplayState {
  held: WireRecord[];
  overflows: number;
  maxIdByOrigin: Map<string, string>;
}

/** The hub tag inside an id (protocol/ids.ts layout); ids of another shape count as one origin. */
function originOf(id: string): string {
  return id.length === ID_LENGTH ? id.slice(RTS_CHARS, RTS_CHARS + TAG_CHARS) : '';
}

function notReplayed(r: WireRecord, maxIdByOrigin: Map<string, string>): boolean {
  const m = maxIdByOrigin.get(originOf(r.id));
  return m === undefined || r.id > m;
}

export class Tailer {
  private pending: WireRecord[] = [];
  private droppedCount = 0;
  private notices: GapFrame[] = [];
  private lastSendMs = Date.now();
  private overSinceMs: number | undefined;
  private isClosed = false;
  private waiters: Array<() => void> = [];
  private replay: ReplayState | undefined;
  /** After a replay: the highest replayed id per origin; live records at or below it are duplicates. */
  private replayedUpTo: Map<string, string> | undefined;

  constructor(readonly socket: TailSocket, readonly opts: TailerOptions, private readonly hooks: TailerHooks) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** Live records from the bus. Cheap: filter, queue, schedule. Never blocks, never throws. */
  offer(records: readonly WireRecord[]): void {
    if (this.isClosed) return;
    let matched: WireRecord[] | undefined;
    for (const r of records) if (matchRecord(this.opts.filter, r)) (matched ??= []).push(r);
    if (matched && this.replayedUpTo) {
      const upTo = this.replayedUpTo;
      matched = matched.filter((r) => notReplayed(r, upTo));
      if (matched.length === 0) return;
    }
    if (!matched) return;
    if (this.replay) {
      const held = this.replay.held;
      for (const r of matched) held.push(r);
      if (held.length > this.opts.maxReplayBufferRecords) {
        this.replay.held = [];
        this.replay.overflows++;
      }
      return;
    }
    if (this.pending.length === 0) this.pending = matched;
    else for (const r of matched) this.pending.push(r);
    this.hooks.schedule(this);
  }

  /** The bus reports records this client may have missed. */
  notifyGap(gap: GapFrame): void {
    if (this.isClosed) return;
    this.notices.push(gap);
    this.hooks.schedule(this);
  }

  private write(frame: EncodedFrame, now: number): number {
    this.lastSendMs = now;
    return this.socket.send(frame.data, frame.binary);
  }

  private over(): boolean {
    return this.socket.getBufferedAmount() > this.opts.maxBufferedBytes;
  }

  private drop(n: number, now: number): void {
    if (n === 0) return;
    this.droppedCount += n;
    this.hooks.dropped(n);
    this.overSinceMs ??= now;
  }

  /** Sends what is queued. Call inside the socket's cork. */
  flush(now = Date.now()): void {
    if (this.isClosed) return;
    if (this.over()) {
      this.drop(this.pending.length, now);
      this.pending = [];
      return;
    }
    this.overSinceMs = undefined;
    if (this.droppedCount > 0) {
      this.write(encodeControl({ type: 'dropped', count: this.droppedCount }, this.opts.format), now);
      this.droppedCount = 0;
    }
    for (const n of this.notices) this.write(encodeControl(n, this.opts.format), now);
    this.notices = [];
    this.sendRecords(this.pending, now, true);
    this.pending = [];
  }

  /** Sends records in bounded frames; with `mayDrop`, stops and counts once the socket is over the limit. */
  private sendRecords(records: WireRecord[], now: number, mayDrop: boolean): void {
    let start = 0;
    while (start < records.length) {
      if (mayDrop && start > 0 && this.over()) {
        this.drop(records.length - start, now);
        return;
      }
      let end = start;
      let bytes = 0;
      while (end < records.length && end - start < this.opts.maxFrameRecords && bytes < this.opts.maxFrameBytes) {
        bytes += records[end].message.length + 160;
        end++;
      }
      const chunk = start === 0 && end === records.length ? records : records.slice(start, end);
      const frame = encodeRecords(chunk, this.opts.format);
      if (this.write(frame, now) === 2) this.drop(chunk.length, now);
      else this.hooks.sent(chunk.length);
      start = end;
    }
  }

  /** Periodic: heartbeat when idle, report drops once drained, close when stuck. Call corked. */
  tick(now = Date.now()): void {
    if (this.isClosed) return;
    if (this.over()) {
      this.overSinceMs ??= now;
      if (now - this.overSinceMs >= this.opts.stuckMs) {
        const secs = ((now - this.overSinceMs) / 1000).toFixed(1);
        this.close(CloseCode.policy, `too slow: not reading for ${secs}s with ${this.socket.getBufferedAmount()} bytes unread`);
      }
      return;
    }
    this.overSinceMs = undefined;
    this.resolveWaiters();
    if (this.droppedCount > 0 || this.notices.length > 0 || this.pending.length > 0) this.flush(now);
    else if (now - this.lastSendMs >= this.opts.heartbeatMs) this.write(encodeControl({ type: 'heartbeat' }, this.opts.format), now);
  }

  /** uWS `drain`: the client read some of its backlog. */
  drained(): void {
    if (this.isClosed || this.over()) return;
    this.resolveWaiters();
    if (this.droppedCount > 0 || this.notices.length > 0) this.hooks.schedule(this);
  }

  private resolveWaiters(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** Resolves when the socket is under the limit again, or the client is gone. */
  waitWritable(): Promise<void> {
    if (this.isClosed || !this.over()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(code: number, reason: string): void {
    if (this.isClosed) return;
    this.socket.end(code, reason.slice(0, 120));
    this.markClosed();
  }

  /** The socket closed (any cause): stop everything. */
  markClosed(): void {
    this.isClosed = true;
    this.pending = [];
    this.replay = undefined;
    this.resolveWaiters();
  }

  // ---- after= replay ---------------------------------------------------------------------

  /**
   * Starts holding live records. The client's cursor seeds the watermark of its own hub: records
   * up to it were committed before the client asked, yet their live copies can still arrive now.
   */
  beginReplay(after: string): void {
    this.replay = { held: [], overflows: 0, maxIdByOrigin: new Map([[originOf(after), after]]) };
  }

  /** How often the holding buffer overflowed so far (the replay loop must not end in the same round). */
  replayOverflows(): number {
    return this.replay?.overflows ?? 0;
  }

  /** Sends stored records; never drops, waits for the client to read instead. Call corked. */
  sendReplayPage(records: WireRecord[], now = Date.now()): void {
    if (this.isClosed || !this.replay) return;
    const max = this.replay.maxIdByOrigin;
    for (const r of records) {
      const o = originOf(r.id);
      const m = max.get(o);
      if (m === undefined || r.id > m) max.set(o, r.id);
    }
    this.sendRecords(records, now, false);
  }

  /** Ends the replay: held live records that were not replayed continue the stream. */
  endReplay(): void {
    const st = this.replay;
    if (this.isClosed || !st) return;
    this.replay = undefined;
    // A record can be committed (so replayed) and published a moment later (after this point):
    // the watermark stays, so such late live copies are recognised as duplicates too.
    this.replayedUpTo = st.maxIdByOrigin;
    const fresh = st.held.filter((r) => notReplayed(r, st.maxIdByOrigin));
    if (fresh.length > 0) {
      this.pending = fresh.concat(this.pending);
      this.hooks.schedule(this);
    }
  }
}
