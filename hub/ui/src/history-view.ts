/**
 * History: a time range (relative like 15m/1h/24h, or absolute UTC times), the volume histogram,
 * results newest first one page at a time through `next_cursor`, and the NDJSON download. With
 * `around=<id>` it shows the records just before and after one record, across all services.
 */
import type { Api } from './api.js';
import { el } from './dom.js';
import { downloadNdjson } from './download.js';
import { renderHistogram } from './histogram.js';
import { recordRow, rowRecord } from './record-row.js';
import { rangeParams, type ViewState } from './state.js';
import { markFirstRecords, plural } from './text.js';
import type { LogRecord } from './types.js';

export const PAGE_SIZE = 100;
const AROUND_EACH_SIDE = 50;

const RANGES: Array<[string, string]> = [
  ['5m', 'last 5 minutes'], ['15m', 'last 15 minutes'], ['1h', 'last hour'], ['6h', 'last 6 hours'],
  ['24h', 'last 24 hours'], ['7d', 'last 7 days'], ['30d', 'last 30 days'], ['', 'all time'], ['custom', 'between…'],
];
const RELATIVE = /^\d+(s|m|h|d|w)$/;

/**
 * The cursors of the pages read before this one, for "Newer": cursors only lead to older pages.
 * Kept per search (filters + range); a reloaded address starts a new trail, whose "Newer" goes
 * to the newest page.
 */
const trail = { search: '', cursors: [] as string[] };

export interface HistoryDeps {
  api: Api;
  state: ViewState;
  navigate(change: Partial<ViewState>, push: boolean): void;
  openRecord(r: LogRecord): void;
}

export interface HistoryView {
  root: HTMLElement;
  close(): void;
}

/** `2026-12-01T21:04:05.000Z` ↔ the value of a datetime-local input, read as UTC. */
const toInput = (iso: string): string => (Number.isNaN(Date.parse(iso)) ? '' : new Date(Date.parse(iso)).toISOString().slice(0, 19));
const fromInput = (v: string): string => (v ? new Date(`${v}Z`).toISOString() : '');

export function createHistoryView(deps: HistoryDeps): HistoryView {
  const { api, state } = deps;
  const range = el('select', { attrs: { id: 'range', name: 'range' } }, ...RANGES.map(([v, t]) => el('option', { attrs: { value: v }, text: t })));
  const fromBox = el('input', { attrs: { id: 'from', type: 'datetime-local', step: '1' } });
  const toBox = el('input', { attrs: { id: 'to', type: 'datetime-local', step: '1' } });
  const custom = el('span', { class: 'custom-range' }, el('label', { text: 'from ' }, fromBox), el('label', { text: ' to ' }, toBox), el('span', { class: 'hint', text: ' UTC' }));
  const search = el('button', { attrs: { type: 'submit', id: 'search' }, text: 'Search' });
  const download = el('button', { attrs: { type: 'button', id: 'download' }, text: 'Download NDJSON' });
  const status = el('span', { class: 'status', attrs: { id: 'history-status', 'aria-live': 'polite' } });
  const histogram = el('div', { class: 'histogram', attrs: { id: 'histogram' } });
  const results = el('div', { class: 'rows history-rows', attrs: { id: 'history-rows' } });
  const newer = el('button', { attrs: { type: 'button', id: 'newer' }, text: '← Newer' });
  const older = el('button', { attrs: { type: 'button', id: 'older' }, text: 'Older →' });
  const pageLabel = el('span', { attrs: { id: 'page' } });
  const pager = el('div', { class: 'pager' }, newer, pageLabel, older);
  const controls = el('form', { class: 'toolbar range', attrs: { id: 'range-form' } }, el('label', { text: 'Time ' }, range), custom, search, download, status);
  const root = el('section', { class: 'view history', attrs: { id: 'history' } }, controls, histogram, results, pager);
  let closed = false;

  const isRelative = state.from === '' || RELATIVE.test(state.from);
  range.value = isRelative && !state.to ? state.from : 'custom';
  custom.hidden = range.value !== 'custom';
  fromBox.value = isRelative ? '' : toInput(state.from);
  toBox.value = toInput(state.to);

  range.addEventListener('change', () => {
    custom.hidden = range.value !== 'custom';
    if (range.value !== 'custom') deps.navigate({ from: range.value, to: '', cursor: '', around: '' }, true);
    else fromBox.focus();
  });
  controls.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (range.value === 'custom') deps.navigate({ from: fromInput(fromBox.value), to: fromInput(toBox.value), cursor: '', around: '' }, true);
    else deps.navigate({ from: range.value, to: '', cursor: '', around: '' }, true);
  });
  download.addEventListener('click', () => {
    download.disabled = true;
    downloadNdjson(api, rangeParams(state), (t) => { status.textContent = t; })
      .catch((err: Error) => { status.textContent = `Download failed: ${err.message}`; })
      .finally(() => { download.disabled = false; });
  });
  results.addEventListener('click', (ev) => {
    if (!document.getSelection()?.isCollapsed) return;
    const r = rowRecord(ev.target);
    if (r) deps.openRecord(r);
  });

  const show = (rows: LogRecord[], highlight?: string): void => {
    const frag = document.createDocumentFragment();
    for (const r of rows) {
      const row = recordRow(r);
      if (r.id === highlight) row.classList.add('highlight');
      frag.append(row);
    }
    results.replaceChildren(frag);
    markFirstRecords();
    results.querySelector('.highlight')?.scrollIntoView({ block: 'center' });
  };

  const loadVolume = async (): Promise<void> => {
    try {
      const v = await api.volume(rangeParams(state));
      if (closed) return;
      if (!v) {
        histogram.replaceChildren(el('p', { class: 'hint', text: 'The volume histogram is not available from this hub.' }));
        return;
      }
      renderHistogram(histogram, v, (from, to) => deps.navigate({ from, to, cursor: '', around: '' }, true));
    } catch (err) {
      if (!closed) histogram.replaceChildren(el('p', { class: 'error', text: `Histogram: ${(err as Error).message}` }));
    }
  };

  const loadPage = async (): Promise<void> => {
    const p = rangeParams(state);
    if (trail.search !== p.toString()) trail.cursors = [];
    trail.search = p.toString();
    p.set('limit', String(PAGE_SIZE));
    if (state.cursor) p.set('cursor', state.cursor);
    status.textContent = 'Searching…';
    try {
      const page = await api.logs(p);
      if (closed) return;
      show(page.logs);
      status.textContent = page.count === 0 ? 'No records match.' : `${plural(page.count, 'record')}, newest first`;
      older.disabled = page.next_cursor === null;
      older.onclick = () => {
        trail.cursors.push(state.cursor);
        deps.navigate({ cursor: page.next_cursor ?? '' }, true);
      };
      newer.disabled = state.cursor === '';
      newer.onclick = () => deps.navigate({ cursor: trail.cursors.pop() ?? '' }, true);
      pageLabel.textContent = !state.cursor ? 'page 1' : trail.cursors.length ? `page ${trail.cursors.length + 1}` : 'an older page';
    } catch (err) {
      if (!closed) status.textContent = `Search failed: ${(err as Error).message}`;
    }
  };

  const loadAround = async (): Promise<void> => {
    status.textContent = 'Loading the records around it…';
    pager.hidden = true;
    histogram.replaceChildren(el('p', { class: 'hint', text: `The records just before and after ${state.around} (${state.at}), across all services. Use Back to return to the search.` }));
    const before = new URLSearchParams({ to: state.at, order: 'desc', limit: String(AROUND_EACH_SIDE + 1) });
    const after = new URLSearchParams({ from: state.at, order: 'asc', limit: String(AROUND_EACH_SIDE + 1) });
    try {
      const [b, a] = await Promise.all([api.logs(before), api.logs(after)]);
      if (closed) return;
      const byId = new Map<string, LogRecord>();
      for (const r of [...b.logs, ...a.logs]) byId.set(r.id, r);
      const rows = [...byId.values()].sort((x, y) => (x.timestamp === y.timestamp ? (x.id < y.id ? 1 : -1) : x.timestamp < y.timestamp ? 1 : -1));
      show(rows, state.around);
      status.textContent = `${plural(rows.length, 'record')} around the one highlighted`;
    } catch (err) {
      if (!closed) status.textContent = `Failed: ${(err as Error).message}`;
    }
  };

  if (state.around) void loadAround();
  else {
    // The page first: the hub answers in order, and the records are what a reader waits for.
    void loadPage();
    void loadVolume();
  }
  return {
    root,
    close() {
      closed = true;
    },
  };
}
