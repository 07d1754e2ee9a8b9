/**
 * One record as a row: time, level, service, host, message. Text goes in through textContent
 * only, with control characters made visible; the level is a class (its colour comes from the
 * style sheet), the service colour is derived from its name. `rowRecord` finds a row's record.
 */
import { el } from './dom.js';
import { serviceColour, shortTime, visible } from './text.js';
import type { LogRecord } from './types.js';

const records = new WeakMap<Element, LogRecord>();

export function recordRow(r: LogRecord): HTMLDivElement {
  const svc = el('span', { class: 'svc', text: visible(r.service) });
  svc.style.color = serviceColour(r.service);
  const row = el('div', { class: `row sev-${r.severity}`, attrs: { 'data-id': r.id, tabindex: '-1' } },
    el('span', { class: 'ts', text: shortTime(r.timestamp) }),
    el('span', { class: 'sev', text: r.severity }),
    svc,
    el('span', { class: 'host', text: visible(r.host ?? '') }),
    el('span', { class: 'msg', text: visible(r.message) }),
  );
  records.set(row, r);
  return row;
}

/** A notice among the rows: drops, gaps, reconnections. */
export function noticeRow(kind: string, text: string): HTMLDivElement {
  return el('div', { class: `row notice notice-${kind}`, attrs: { role: 'status' }, text });
}

/** The record behind a row (or any element inside it). */
export function rowRecord(target: EventTarget | null): LogRecord | undefined {
  const row = target instanceof Element ? target.closest('.row') : null;
  return row ? records.get(row) : undefined;
}
