/**
 * The live view's list: a capped number of rows in the DOM (the newest `cap`), filled once per
 * animation frame however fast records arrive, so the page stays responsive at any rate.
 *
 * Pausing: scrolling up, selecting text, or pressing space stops the list from moving under the
 * reader; what arrives meanwhile is counted (and the newest `cap` kept), and resuming — jump to
 * live, `G`, or scrolling back to the bottom — shows it.
 */
import { noticeRow, recordRow } from './record-row.js';
import type { LogRecord } from './types.js';

export type PauseReason = 'scroll' | 'selection' | 'key' | 'button';

type Item = { record: LogRecord } | { kind: string; text: string };

export interface LiveListEvents {
  /** Called when pausing, resuming, and (throttled to frames) as the count while paused grows. */
  pauseChanged(paused: PauseReason | null, arrivedWhilePaused: number): void;
}

const AT_BOTTOM_PX = 32;

export class LiveList {
  private queue: Item[] = [];
  private frame = 0;
  private pausedBy: PauseReason | null = null;
  private arrivedWhilePaused = 0;
  private received = 0;

  constructor(readonly root: HTMLElement, private readonly cap: number, private readonly events: LiveListEvents) {
    root.addEventListener('scroll', () => this.onScroll(), { passive: true });
    root.addEventListener('wheel', (ev) => {
      if (ev.deltaY < 0 && root.scrollHeight > root.clientHeight) this.pause('scroll');
    }, { passive: true });
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
    this.trimQueue();
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
    this.arrivedWhilePaused = 0;
    this.root.replaceChildren();
  }

  private trimQueue(): void {
    // More than a screenful waiting would be removed again at once: keep only the newest.
    if (this.queue.length > this.cap * 2) this.queue = this.queue.slice(-this.cap);
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    if (this.pausedBy) {
      this.events.pauseChanged(this.pausedBy, this.arrivedWhilePaused);
      return;
    }
    let items = this.queue;
    this.queue = [];
    if (items.length === 0) return;
    if (items.length >= this.cap) {
      items = items.slice(-this.cap);
      this.root.replaceChildren();
    }
    const frag = document.createDocumentFragment();
    for (const it of items) frag.append('record' in it ? recordRow(it.record) : noticeRow(it.kind, it.text));
    this.root.append(frag);
    let excess = this.root.childElementCount - this.cap;
    while (excess-- > 0) this.root.firstElementChild!.remove();
    this.root.scrollTop = this.root.scrollHeight;
  }

  private onScroll(): void {
    const r = this.root;
    const atBottom = r.scrollHeight - r.scrollTop - r.clientHeight < AT_BOTTOM_PX;
    if (!atBottom && !this.pausedBy) this.pause('scroll');
    else if (atBottom && this.pausedBy === 'scroll') this.resume();
  }
}
