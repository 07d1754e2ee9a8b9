/**
 * A live-tail test client (the `ws` package, a real socket) and an HTTP ingest helper, shared by
 * the live and bus integration tests. Not a test file.
 */
import WebSocket from 'ws';
import { decodeFrame } from '../../../hub/protocol/codec.js';
import { waitFor } from '../../helpers/wait.js';

export interface TailRecord {
  id: string;
  service: string;
  severity: string;
  message: string;
  host?: string;
  file?: string;
  [k: string]: unknown;
}

export interface TailClient {
  ws: WebSocket;
  frames: Array<{ type: string; [k: string]: unknown }>;
  records: TailRecord[];
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  /** Counts of control frames by type. */
  count(type: string): number;
  dropped(): number;
  waitRecords(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function tailUrl(wsUrl: string, params: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return `${wsUrl}/v1/tail?${p.toString()}`;
}

/** Opens a tail; rejects with `HTTP <status>` when the upgrade is refused. */
export function openTail(wsUrl: string, params: Record<string, string | string[]>, token?: string, opts: { viaQuery?: boolean } = {}): Promise<TailClient> {
  const all = { ...params };
  const headers: Record<string, string> = {};
  if (token && opts.viaQuery) all.token = token;
  else if (token) headers.authorization = `Bearer ${token}`;
  const ws = new WebSocket(tailUrl(wsUrl, all), { headers, perMessageDeflate: false });
  const frames: TailClient['frames'] = [];
  const records: TailRecord[] = [];
  let closedFlag = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => { closedFlag = true; resolve({ code, reason: reason.toString() }); });
  });
  ws.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let frame: { type: string; [k: string]: unknown };
    if (isBinary) {
      const r = decodeFrame(buf);
      if (!r.ok) throw new Error(`bad frame: ${r.message}`);
      frame = r.frame as unknown as typeof frame;
    } else {
      frame = JSON.parse(buf.toString()) as typeof frame;
    }
    if (frame.type === 'records') records.push(...(frame.records as TailRecord[]));
    else frames.push(frame);
  });
  const client: TailClient = {
    ws,
    frames,
    records,
    closed,
    isClosed: () => closedFlag,
    count: (type) => frames.filter((f) => f.type === type).length,
    dropped: () => frames.filter((f) => f.type === 'dropped').reduce((a, f) => a + Number(f.count), 0),
    waitRecords: async (n, timeoutMs = 10_000) => { await waitFor(() => records.length >= n, { timeoutMs, what: `${n} records (have ${records.length})` }); },
    close: async () => {
      if (closedFlag) return;
      ws.close();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', (err) => reject(err));
  });
}

let seq = 0;
export interface PostRecord {
  service?: string;
  severity?: string;
  message?: string;
  host?: string;
  file?: string;
}

/** POST /logs with a JSON array; returns the response body. */
export async function postLogs(url: string, token: string, records: PostRecord[]): Promise<{ saved: number }> {
  const body = records.map((r) => ({ service: 'svc', severity: 'INFO', message: `line ${++seq}`, ...r }));
  const res = await fetch(`${url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST /logs → ${res.status}: ${await res.text()}`);
  return (await res.json()) as { saved: number };
}

/** GET /logs ascending with paging; every id matching `params`. */
export async function allIds(url: string, token: string, params: Record<string, string> = {}): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const p = new URLSearchParams({ ...params, order: 'asc', limit: '10000' });
    if (cursor) p.set('cursor', cursor);
    const res = await fetch(`${url}/logs?${p}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { logs: Array<{ id: string }>; next_cursor?: string | null };
    ids.push(...body.logs.map((l) => l.id));
    if (!body.next_cursor || body.logs.length === 0) return ids;
    cursor = body.next_cursor;
  }
}
