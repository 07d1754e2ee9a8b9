/**
 * The live tail over `/v1/tail?format=json` (docs/web-ui.md). Reconnects by itself with backoff,
 * resuming with `after=<last id seen>` so nothing is missed or repeated, and says so. `dropped`
 * and `gap` frames become notices. A 1008 close (a bad regex or filter) is final: the reason is
 * shown and nothing is retried until the filters change.
 */
import type { LogRecord } from './types.js';

export interface LiveStreamEvents {
  records(records: LogRecord[]): void;
  notice(kind: 'dropped' | 'gap' | 'reconnect' | 'error', text: string): void;
  /** The hub dropped `count` records for this page (it fell behind): also sent as a notice. */
  dropped(count: number): void;
  status(state: 'connecting' | 'live' | 'reconnecting' | 'stopped', text: string): void;
  /** The socket would not open: is the token still good? false signs the reader out. */
  checkAuth(): Promise<boolean>;
}

export interface LiveStream {
  close(): void;
}

const MAX_BACKOFF_MS = 5000;
const POLICY_CLOSE = 1008;
/** Stored records the view opens on before going live (the hub allows up to 1000). */
const INITIAL_RECORDS = 100;

type Frame =
  | { type: 'records'; records: LogRecord[] }
  | { type: 'dropped'; count: number }
  | { type: 'gap'; reason: string; count?: number; from?: number; to?: number }
  | { type: 'heartbeat' };

function gapText(f: Extract<Frame, { type: 'gap' }>): string {
  const what = f.count !== undefined ? `${f.count.toLocaleString('en')} record(s)` : 'some records';
  const when = f.from !== undefined && f.to !== undefined ? ` between ${new Date(f.from).toISOString()} and ${new Date(f.to).toISOString()}` : '';
  const why = f.reason === 'bus_outage' ? 'the hubs\' message bus was unreachable' : 'the message bus lost messages';
  return `Gap: ${what}${when} may be missing from this live view because ${why}. They are stored: search History for them.`;
}

export function openLiveStream(params: URLSearchParams, token: string, ev: LiveStreamEvents): LiveStream {
  let ws: WebSocket | undefined;
  let lastId: string | undefined;
  let attempt = 0;
  let everOpened = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = (): void => {
    const p = new URLSearchParams(params);
    p.set('format', 'json');
    if (lastId) p.set('after', lastId);
    else if (!everOpened) p.set('last', String(INITIAL_RECORDS)); // open on the newest records, as tail -n does
    p.set('token', token);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/v1/tail?${p.toString()}`);
    ws = socket;
    ev.status(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'Connecting…' : `Reconnecting (attempt ${attempt})…`);
    let opened = false;
    socket.onopen = () => {
      opened = true;
      if (everOpened) {
        ev.notice('reconnect', lastId
          ? 'Reconnected: resumed right after the last record shown, nothing missed.'
          : 'Reconnected: no record had arrived before, so live records start from now.');
      }
      everOpened = true;
      attempt = 0;
      ev.status('live', 'Live');
    };
    socket.onmessage = (msg) => {
      if (typeof msg.data !== 'string') return;
      const f = JSON.parse(msg.data) as Frame;
      if (f.type === 'records') {
        if (f.records.length) lastId = f.records[f.records.length - 1].id;
        ev.records(f.records);
      } else if (f.type === 'dropped') {
        ev.dropped(f.count);
        ev.notice('dropped', `Dropped: ${f.count.toLocaleString('en')} record(s) were not sent to this page because it fell behind. They are stored: search History for them.`);
      } else if (f.type === 'gap') {
        ev.notice('gap', gapText(f));
      }
    };
    socket.onclose = (close) => {
      if (stopped || ws !== socket) return;
      if (close.code === POLICY_CLOSE) {
        stopped = true;
        ev.notice('error', `The hub refused this live view: ${close.reason || 'bad filter'}. Fix the filter to try again.`);
        ev.status('stopped', 'Stopped');
        return;
      }
      void retry(opened, close);
    };
  };

  const retry = async (opened: boolean, close: CloseEvent): Promise<void> => {
    if (!opened && !(await ev.checkAuth())) {
      stopped = true;
      ev.status('stopped', 'Signed out');
      return;
    }
    if (stopped) return;
    const delayMs = Math.min(MAX_BACKOFF_MS, 250 * 2 ** attempt);
    attempt++;
    if (opened) {
      const why = close.reason ? `: ${close.reason}` : '';
      ev.notice('reconnect', `Connection to the hub lost (code ${close.code}${why}); reconnecting…`);
    }
    ev.status('reconnecting', `Disconnected; reconnecting in ${(delayMs / 1000).toFixed(1)} s`);
    timer = setTimeout(connect, delayMs);
  };

  connect();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      ws?.close(1000);
    },
  };
}
