/**
 * The filters shared by the live view and history: service (from the services the hub knows,
 * GET /stats), severity (one level, or `X+` for that level and above), host, file, text (`q`,
 * case-insensitive) and regex. Text fields apply on Enter or after a short pause in typing.
 */
import { el } from './dom.js';
import type { Filters } from './state.js';
import { SEVERITIES } from './types.js';

const TYPING_PAUSE_MS = 400;

export interface FilterBar {
  root: HTMLElement;
  /** The text search box (`/` focuses it). */
  search: HTMLInputElement;
  set(filters: Filters): void;
  setServices(services: string[]): void;
}

function severityOptions(): HTMLOptionElement[] {
  const opts = [el('option', { attrs: { value: '' }, text: 'any level' })];
  for (const s of SEVERITIES) {
    opts.push(el('option', { attrs: { value: s }, text: s }));
    if (s !== 'TRACE' && s !== 'FATAL') opts.push(el('option', { attrs: { value: `${s}+` }, text: `${s} and above` }));
  }
  return opts;
}

function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return el('label', { class: 'filter' }, el('span', { text }), control);
}

export function createFilterBar(onChange: (f: Filters) => void): FilterBar {
  const service = el('select', { attrs: { id: 'f-service', name: 'service' } });
  const severity = el('select', { attrs: { id: 'f-severity', name: 'severity' } }, ...severityOptions());
  const text = (id: string, placeholder: string) =>
    el('input', { attrs: { id, name: id.slice(2), type: 'search', placeholder, autocomplete: 'off', spellcheck: 'false' } });
  const host = text('f-host', 'any host');
  const file = text('f-file', 'any file');
  const q = text('f-q', 'text (press /)');
  const regex = text('f-regex', 'regular expression');
  let known: string[] = [];
  let current: Filters | undefined;

  const read = (): Filters => ({
    service: service.value ? service.value.split(',') : [],
    severity: severity.value,
    host: host.value.trim(),
    file: file.value.trim(),
    q: q.value,
    regex: regex.value,
  });
  const fillServices = (): void => {
    const wanted = current?.service.join(',') ?? '';
    const names = [...known];
    if (wanted && !names.includes(wanted)) names.push(wanted);
    service.replaceChildren(el('option', { attrs: { value: '' }, text: 'all services' }), ...names.map((n) => el('option', { attrs: { value: n }, text: n })));
    service.value = wanted;
  };
  const emit = (): void => {
    const f = read();
    if (current && JSON.stringify(f) === JSON.stringify(current)) return;
    current = f;
    onChange(f);
  };
  let typing: ReturnType<typeof setTimeout> | undefined;
  for (const input of [host, file, q, regex]) {
    input.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(emit, TYPING_PAUSE_MS);
    });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        clearTimeout(typing);
        emit();
      } else if (ev.key === 'Escape') input.blur();
    });
  }
  service.addEventListener('change', emit);
  severity.addEventListener('change', emit);

  const root = el('form', { class: 'filters', attrs: { role: 'search', id: 'filters' } },
    labelled('Service', service), labelled('Level', severity), labelled('Host', host), labelled('File', file),
    labelled('Text', q), labelled('Regex', regex));
  root.addEventListener('submit', (ev) => {
    ev.preventDefault();
    emit();
  });

  return {
    root,
    search: q,
    set(f) {
      current = f;
      fillServices();
      severity.value = f.severity;
      if (severity.value !== f.severity) {
        severity.append(el('option', { attrs: { value: f.severity }, text: f.severity }));
        severity.value = f.severity;
      }
      host.value = f.host;
      file.value = f.file;
      q.value = f.q;
      regex.value = f.regex;
    },
    setServices(services) {
      known = services;
      fillServices();
    },
  };
}
