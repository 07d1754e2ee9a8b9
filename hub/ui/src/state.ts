/**
 * The page's whole view lives in its address, so a view can be shared and reloaded:
 * `/ui/?view=history&service=payments&severity=WARN%2B&q=timeout&from=1h&cursor=…`.
 * Filters use the API's own parameter names; `from`/`to` take what the API takes (relative
 * `15m`, or ISO times); `around`/`at` open "the records around this one".
 */

export type View = 'live' | 'history';

export interface Filters {
  service: string[];
  severity: string;
  host: string;
  file: string;
  q: string;
  regex: string;
}

export interface ViewState {
  view: View;
  filters: Filters;
  /** History range: relative (`15m`, `24h`) or ISO; empty = unbounded. */
  from: string;
  to: string;
  cursor: string;
  /** A record id whose neighbours to show, and its event time. */
  around: string;
  at: string;
}

export const DEFAULT_FROM = '1h';

export function emptyFilters(): Filters {
  return { service: [], severity: '', host: '', file: '', q: '', regex: '' };
}

export function readState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const services = p.getAll('service').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  return {
    view: p.get('view') === 'history' ? 'history' : 'live',
    filters: {
      service: services,
      // A literal `+` typed into an address arrives as a space: the API treats both as `X+`.
      severity: (p.get('severity') ?? '').replace(/ $/, '+'),
      host: p.get('host') ?? '',
      file: p.get('file') ?? '',
      q: p.get('q') ?? '',
      regex: p.get('regex') ?? '',
    },
    from: p.get('from') ?? DEFAULT_FROM,
    to: p.get('to') ?? '',
    cursor: p.get('cursor') ?? '',
    around: p.get('around') ?? '',
    at: p.get('at') ?? '',
  };
}

/** The filters as API query parameters (empty ones left out). */
export function filterParams(f: Filters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.service.length) p.set('service', f.service.join(','));
  for (const k of ['severity', 'host', 'file', 'q', 'regex'] as const) if (f[k]) p.set(k, f[k]);
  return p;
}

/** The history query: filters plus the time range. */
export function rangeParams(s: ViewState): URLSearchParams {
  const p = filterParams(s.filters);
  if (s.from) p.set('from', s.from);
  if (s.to) p.set('to', s.to);
  return p;
}

export function stateSearch(s: ViewState): string {
  const p = new URLSearchParams();
  p.set('view', s.view);
  for (const [k, v] of filterParams(s.filters)) p.set(k, v);
  if (s.view === 'history') {
    // The default range is written too: a shared address must not depend on a changed default.
    p.set('from', s.from);
    if (s.to) p.set('to', s.to);
    if (s.cursor) p.set('cursor', s.cursor);
    if (s.around) {
      p.set('around', s.around);
      p.set('at', s.at);
    }
  }
  return `?${p.toString()}`;
}
