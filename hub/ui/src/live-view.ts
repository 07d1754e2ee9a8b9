/**
 * The live view: a status line (connected, reconnecting, stopped), the capped live list, and the
 * pause banner with the count of records that arrived meanwhile and a jump-to-live control.
 */
import { el } from './dom.js';
import { LiveList, type PauseReason } from './live-list.js';
import { openLiveStream } from './live-stream.js';
import { rowRecord } from './record-row.js';
import { plural } from './text.js';
import type { LogRecord } from './types.js';

/** Rows kept in the DOM: enough to scroll back a while, few enough to stay fast. */
export const LIVE_ROWS_CAP = 1000;

export interface LiveView {
  root: HTMLElement;
  togglePause(): void;
  jumpToLive(): void;
  close(): void;
}

export interface LiveViewDeps {
  params: URLSearchParams;
  token: string;
  openRecord(r: LogRecord): void;
  checkAuth(): Promise<boolean>;
}

const PAUSE_WHY: Record<PauseReason, string> = {
  scroll: 'you scrolled up',
  selection: 'you are selecting text',
  key: 'you pressed space',
  button: 'you paused',
};

export function createLiveView(deps: LiveViewDeps): LiveView {
  const status = el('span', { class: 'status', attrs: { id: 'live-status', 'aria-live': 'polite' } });
  const counter = el('span', { class: 'counter', attrs: { id: 'live-count' } });
  const skippedNote = el('span', { class: 'counter', attrs: { id: 'live-skipped' } });
  const droppedNote = el('span', { class: 'counter dropped', attrs: { id: 'live-dropped' } });
  let droppedTotal = 0;
  const pauseButton = el('button', { attrs: { type: 'button', id: 'pause' }, text: 'Pause' });
  const clearButton = el('button', { attrs: { type: 'button', id: 'clear' }, text: 'Clear' });
  const bannerText = el('span', { attrs: { id: 'paused-text' } });
  const jump = el('button', { attrs: { type: 'button', id: 'jump-live' }, text: 'Jump to live (G)' });
  const banner = el('div', { class: 'paused-banner', attrs: { id: 'paused', hidden: '' } }, bannerText, jump);
  const rows = el('div', { class: 'rows live-rows', attrs: { id: 'live-rows', role: 'log', 'aria-label': 'live records' } });

  let skipped = 0;
  const list = new LiveList(rows, LIVE_ROWS_CAP, {
    skipped(total) {
      skipped = total;
    },
    pauseChanged(paused, arrived) {
      banner.hidden = paused === null;
      pauseButton.textContent = paused ? 'Resume' : 'Pause';
      if (paused) bannerText.textContent = `Paused because ${PAUSE_WHY[paused]} — ${plural(arrived, 'new record')} since.`;
    },
  });
  let shown = -1;
  const updateCount = (): void => {
    if (list.total === shown) return;
    shown = list.total;
    // Past the list's size, records that came faster than a screen can show are not drawn.
    counter.textContent = `${plural(shown, 'record')} received`;
    skippedNote.textContent = skipped ? `${plural(skipped, 'record')} came too fast to draw (all are in History)` : '';
  };
  const countTimer = setInterval(updateCount, 250);

  const stream = openLiveStream(deps.params, deps.token, {
    records: (records) => list.push(records),
    notice: (kind, text) => list.notice(kind, text),
    dropped(count) {
      droppedTotal += count;
      droppedNote.textContent = `${plural(droppedTotal, 'record')} dropped by the hub (this page fell behind; all are in History)`;
    },
    status(state, text) {
      status.textContent = text;
      status.dataset.state = state;
    },
    checkAuth: deps.checkAuth,
  });

  const togglePause = (): void => (list.paused ? list.resume() : list.pause('key'));
  pauseButton.addEventListener('click', () => (list.paused ? list.resume() : list.pause('button')));
  clearButton.addEventListener('click', () => {
    list.clear();
    skipped = 0;
    droppedTotal = 0;
    droppedNote.textContent = '';
    updateCount();
  });
  jump.addEventListener('click', () => list.resume());
  rows.addEventListener('click', (ev) => {
    if (!document.getSelection()?.isCollapsed) return; // finishing a text selection, not a click
    const r = rowRecord(ev.target);
    if (r) deps.openRecord(r);
  });

  const root = el('section', { class: 'view live', attrs: { id: 'live' } },
    el('div', { class: 'toolbar' }, status, counter, pauseButton, clearButton, droppedNote, skippedNote), banner, rows);
  return {
    root,
    togglePause,
    jumpToLive: () => list.resume(),
    close() {
      clearInterval(countTimer);
      stream.close();
    },
  };
}
