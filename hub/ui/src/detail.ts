/**
 * A record opened to all its fields: the §2 fields, then the structured `fields` one per line,
 * then the whole record as JSON. Everything is text. "Show the records around this one" opens
 * history at this record's moment, across all services.
 */
import { el } from './dom.js';
import { serviceColour, visible } from './text.js';
import type { LogRecord } from './types.js';

export interface DetailPanel {
  root: HTMLElement;
  open(r: LogRecord): void;
  close(): void;
  readonly isOpen: boolean;
}

function fieldText(v: unknown): string {
  return typeof v === 'string' ? visible(v) : visible(JSON.stringify(v, null, 2) ?? String(v));
}

export function createDetailPanel(showAround: (r: LogRecord) => void): DetailPanel {
  const title = el('h2', { text: 'Record' });
  const list = el('dl', { class: 'fields', attrs: { id: 'detail-fields' } });
  const raw = el('pre', { class: 'raw', attrs: { id: 'detail-json' } });
  const around = el('button', { attrs: { type: 'button', id: 'show-around' }, text: 'Show the records around this one' });
  const closeButton = el('button', { attrs: { type: 'button', id: 'detail-close', 'aria-label': 'Close' }, text: 'Close (Esc)' });
  const root = el('aside', { class: 'detail', attrs: { id: 'detail', hidden: '', role: 'dialog', 'aria-label': 'record detail' } },
    el('div', { class: 'detail-head' }, title, around, closeButton), list, el('h3', { text: 'As JSON' }), raw);
  let current: LogRecord | undefined;
  let opener: Element | null = null;

  const row = (name: string, value: string, cls = ''): void => {
    const dd = el('dd', { class: cls, text: value });
    if (name === 'service') dd.style.color = serviceColour(value);
    list.append(el('dt', { text: name }), dd);
  };

  const panel: DetailPanel = {
    root,
    get isOpen() {
      return !root.hidden;
    },
    open(r) {
      current = r;
      opener = document.activeElement;
      list.replaceChildren();
      row('message', visible(r.message), 'msg');
      row('timestamp', r.timestamp);
      row('received_at', r.received_at);
      row('service', visible(r.service));
      row('severity', r.severity, `sev sev-${r.severity}`);
      if (r.host !== undefined) row('host', visible(r.host));
      if (r.file !== undefined) row('file', visible(r.file));
      row('id', r.id);
      if (r.truncated) row('truncated', 'true (the message was longer than the hub keeps)');
      for (const [k, v] of Object.entries(r.fields ?? {})) row(`fields.${visible(k)}`, fieldText(v), 'msg');
      raw.textContent = visible(JSON.stringify(r, null, 2));
      root.hidden = false;
      closeButton.focus();
    },
    close() {
      root.hidden = true;
      if (opener instanceof HTMLElement) opener.focus();
    },
  };
  around.addEventListener('click', () => {
    if (!current) return;
    panel.close();
    showAround(current);
  });
  closeButton.addEventListener('click', () => panel.close());
  return panel;
}
