/**
 * The live view's list: a capped number of rows in the DOM (the newest `cap`), filled in batches
 * on animation frames however fast records arrive, at most ten times a second. Rendering takes at
 * most about a third of the main thread (after a batch that took d ms, the next waits at least
 * 2·d), so input is always handled;
 * at high rates a batch holds more records, and one over `cap` replaces the list at once.
 *
 * Pausing: scrolling up, selecting text, or pressing space stops the list from moving under the
 * reader; what arrives meanwhile is counted (and the newest `cap` kept), and resuming — jump to
 * live, `G`, or scrolling back to the bottom — shows it.
 */
import { noticeRow, recordRow } from './record-row.js';
import { markFirstRecords } from './text.js';
import type { LogRecord } from './types.js';

export type PauseReason = 'scroll' | 'selection' | 'key' | 'button';

type Item = { record: LogRecord } | { kind: string; text: string };

export interface LiveListEvents {
  /** Called when pausing, resuming, and (throttled to frames) as the count while paused grows. */
  pauseChanged(paused: PauseReason | null, arrivedWhilePaused: number): void;
  /** Records that arrived too fast to be drawn (running total since the last clear). */
  skipped(total: number): void;
}

const AT_BOTTOM_PX = 32;
const MAX_ROWS_PER_FRAME = 250;
/** A scroll this soon after a wheel, key, touch or scrollbar press is the reader's. */
const INTENT_MS = 1000;
const SCROLL_KEYS = new Set(['ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home', 'End']);
const FRAME_BUDGET_MS = 10;
/** At most ten list updates a second: live enough to read, and cheap at any rate. */
const MIN_FLUSH_INTERVAL_MS = 100;

export class LiveList {
  private queue: Item[] = [];
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private nextFlushAt = 0;
  private intentAt = Number.NEGATIVE_INFINITY;
  private pausedBy: PauseReason | null = null;
  private arrivedWhilePaused = 0;
  private received = 0;
  private skipped = 0;

  constructor(readonly root: HTMLElement, private readonly cap: number, private readonly events: LiveListEvents) {
    root.addEventListener('scroll', () => this.onScroll(), { passive: true });
    root.addEventListener('wheel', (ev) => {
      this.intentAt = performance.now();
      if (ev.deltaY < 0 && root.scrollHeight > root.clientHeight) this.pause('scroll');
    }, { passive: true });
    const intent = (): void => { this.intentAt = performance.now(); };
    root.addEventListener('pointerdown', intent, { passive: true }); // the scrollbar
    root.addEventListener('touchmove', intent, { passive: true });
    root.addEventListener('keydown', (ev) => {
      if (SCROLL_KEYS.has(ev.key)) intent();
    });
    document.addEventListener('selectionchange', () => {
      const sel = document.getSelection();
      if (sel && !sel.isCollapsed && sel.anchorNode && root.contains(sel.anchorNode)) this.pause('selection');
    });
  }

  /** Records received since the list was created or cleared. */
  get total(): number {
    return this.received;
  }

  get paused(): PauseReason | null {
    return this.pausedBy;
  }

  push(records: LogRecord[]): void {
    this.received += records.length;
    if (this.pausedBy) this.arrivedWhilePaused += records.length;
    for (const record of records) this.queue.push({ record });
    this.trimQueue(this.cap * 2);
    this.schedule();
  }

  notice(kind: string, text: string): void {
    this.queue.push({ kind, text });
    this.schedule();
  }

  pause(reason: PauseReason): void {
    if (this.pausedBy) return;
    this.pausedBy = reason;
    this.arrivedWhilePaused = 0;
    this.events.pauseChanged(reason, 0);
  }

  resume(): void {
    if (!this.pausedBy) return;
    this.pausedBy = null;
    document.getSelection()?.removeAllRanges();
    this.events.pauseChanged(null, 0);
    this.schedule();
  }

  clear(): void {
    this.queue = [];
    this.received = 0;
    this.skipped = 0;
    this.arrivedWhilePaused = 0;
    this.root.replaceChildren();
  }

  /**
   * More than the list holds is waiting: the older ones would be pushed out as soon as shown, so
   * they are not drawn (they are counted, and in History). Notices are always kept.
   */
  private trimQueue(limit: number): void {
    if (this.queue.length <= limit) return;
    const cut = this.queue.length - this.cap;
    const kept: Item[] = [];
    let skipped = 0;
    for (let i = 0; i < cut; i++) {
      const it = this.queue[i];
      if ('record' in it) skipped++;
      else kept.push(it);
    }
    this.queue = kept.concat(this.queue.slice(cut));
    this.skipped += skipped;
    this.events.skipped(this.skipped);
  }

  private schedule(): void {
    if (this.frame !== 0 || this.timer !== undefined) return;
    const waitMs = this.nextFlushAt - performance.now();
    if (waitMs <= 0) this.frame = requestAnimationFrame(() => this.flush());
    else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, waitMs);
    }
  }

  private flush(): void {
    this.frame = 0;
    const started = performance.now();
    this.render();
    const tookMs = performance.now() - started;
    // Style, layout and paint follow outside this measure: a floor keeps them bounded too.
    this.nextFlushAt = performance.now() + Math.max(MIN_FLUSH_INTERVAL_MS, 2 * tookMs);
  }

  private render(): void {
    if (this.pausedBy) {
      this.events.pauseChanged(this.pausedBy, this.arrivedWhilePaused);
      return;
    }
    if (this.queue.length === 0) return;
    if (this.queue.length >= this.cap) {
      this.trimQueue(this.cap);
      this.root.replaceChildren();
    }
    // A bounded slice per frame, so one frame never holds the page for long.
    const deadline = performance.now() + FRAME_BUDGET_MS;
    const frag = document.createDocumentFragment();
    let n = 0;
    while (n < this.queue.length && n < MAX_ROWS_PER_FRAME) {
      const it = this.queue[n++];
      frag.append('record' in it ? recordRow(it.record) : noticeRow(it.kind, it.text));
      if (n % 32 === 0 && performance.now() > deadline) break;
    }
    this.queue.splice(0, n);
    this.root.append(frag);
    markFirstRecords();
    const excess = this.root.childElementCount - this.cap;
    if (excess > 0) {
      const range = document.createRange();
      range.setStartBefore(this.root.firstElementChild!);
      range.setEndAfter(this.root.children[excess - 1]);
      range.deleteContents();
    }
    this.root.scrollTop = this.root.scrollHeight;
    if (this.queue.length) this.schedule();
  }

  /**
   * Only the reader's own scrolling pauses. Rows drawn off screen are laid out with an estimated
   * height until seen (content-visibility), so the list also moves by itself as they are
   * measured: without a recent wheel, key, touch or scrollbar press, that is not the reader, and
   * the list is simply kept at the bottom.
   */
  private onScroll(): void {
    const r = this.root;
    const atBottom = r.scrollHeight - r.scrollTop - r.clientHeight < AT_BOTTOM_PX;
    const byReader = performance.now() - this.intentAt < INTENT_MS;
    if (atBottom) {
      if (this.pausedBy === 'scroll' && byReader) this.resume();
    } else if (byReader) this.pause('scroll');
    else if (!this.pausedBy) r.scrollTop = r.scrollHeight;
  }
}
