/**
 * The hub's web page (docs/web-ui.md): sign in, then the live view or history with the shared
 * filter bar. The address holds the whole view (./state.ts): every change rewrites it, and
 * Back/Forward or a reload show the same view again.
 */
import { createApi, type Api } from './api.js';
import { createDetailPanel } from './detail.js';
import { el } from './dom.js';
import { createFilterBar } from './filter-bar.js';
import { createHistoryView } from './history-view.js';
import { bindKeys } from './keyboard.js';
import { createLiveView, type LiveView } from './live-view.js';
import { checkToken, forgetToken, savedToken, signIn } from './session.js';
import { filterParams, readState, stateSearch, type ViewState } from './state.js';
import type { LogRecord } from './types.js';

const root = document.getElementById('app')!;
const NOTICE_KEY = 'logwire.signin-notice';

interface Mounted {
  root: HTMLElement;
  close(): void;
  live?: LiveView;
}

function startApp(token: string): void {
  let state = readState(location.search);
  let mounted: Mounted | undefined;
  let signedOut = false;

  // A fresh page load per sign-in keeps listeners and views from piling up.
  const signOut = (notice: string): void => {
    if (signedOut) return;
    signedOut = true;
    mounted?.close();
    forgetToken();
    sessionStorage.setItem(NOTICE_KEY, notice);
    location.reload();
  };
  const api: Api = createApi(token, () => signOut('The hub no longer accepts your token (401). Sign in again.'));

  const navigate = (change: Partial<ViewState>, push: boolean): void => {
    state = { ...state, ...change };
    const url = `${location.pathname}${stateSearch(state)}`;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    mount();
  };

  const filters = createFilterBar((f) => navigate({ filters: f, cursor: '', around: '' }, false));
  const detail = createDetailPanel((r: LogRecord) => navigate({ view: 'history', around: r.id, at: r.timestamp, cursor: '' }, true));
  const tab = (view: 'live' | 'history', label: string): HTMLButtonElement =>
    el('button', { class: 'tab', attrs: { type: 'button', id: `tab-${view}` }, text: label, on: { click: () => navigate({ view, around: '', cursor: '' }, true) } });
  const tabs = { live: tab('live', 'Live'), history: tab('history', 'History') };
  const main = el('main');
  const signOutButton = el('button', { attrs: { type: 'button', id: 'sign-out' }, text: 'Sign out', on: { click: () => signOut('Signed out.') } });
  root.replaceChildren(
    el('header', {}, el('span', { class: 'brand', text: 'logwire' }), tabs.live, tabs.history, filters.root, signOutButton),
    main,
    detail.root,
  );

  const openRecord = (r: LogRecord): void => detail.open(r);
  // The live socket would not open: sign out only if the hub refuses the token (not when it is down).
  const checkAuth = async (): Promise<boolean> => {
    const r = await checkToken(token);
    if (r.ok || !r.refused) return true;
    signOut(r.message);
    return false;
  };
  function mount(): void {
    mounted?.close();
    filters.set(state.filters);
    tabs.live.setAttribute('aria-pressed', String(state.view === 'live'));
    tabs.history.setAttribute('aria-pressed', String(state.view === 'history'));
    document.title = `logwire — ${state.view}`;
    if (state.view === 'live') {
      const live = createLiveView({ params: filterParams(state.filters), token, openRecord, checkAuth });
      mounted = { root: live.root, close: live.close, live };
    } else {
      mounted = createHistoryView({ api, state, navigate, openRecord });
    }
    main.replaceChildren(mounted.root);
    performance.mark('logwire:view-mounted');
  }

  bindKeys({
    focusSearch: () => filters.search.focus(),
    togglePause: () => mounted?.live?.togglePause(),
    jumpToLive: () => (state.view === 'live' ? mounted?.live?.jumpToLive() : navigate({ view: 'live', around: '', cursor: '' }, true)),
    escape: () => (detail.isOpen ? detail.close() : (document.activeElement as HTMLElement | null)?.blur()),
  });
  window.addEventListener('popstate', () => {
    state = readState(location.search);
    mount();
  });
  // Canonical address from the start, so what is shared is exactly what is shown.
  history.replaceState(null, '', `${location.pathname}${stateSearch(state)}`);
  mount();
  api.stats().then((s) => filters.setServices(Object.keys(s.logs_per_service))).catch(() => undefined);
}

const token = savedToken();
if (token) startApp(token);
else {
  const notice = sessionStorage.getItem(NOTICE_KEY) ?? '';
  sessionStorage.removeItem(NOTICE_KEY);
  void signIn(root, notice).then(startApp);
}
