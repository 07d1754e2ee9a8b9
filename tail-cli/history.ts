/**
 * History over HTTP: `GET /logs` pages (docs/http-api.md), followed by `next_cursor` until the hub has no
 * more. A hub error (`{"error","code","param"}`) or a network failure becomes one CliError line.
 */
import type { JsonRecord } from '../hub/protocol/index.js';
import { CliError, describeNetworkError } from './errors.js';
import { toPrintable } from './printable.js';

/** How long one history request may take before tail-cli gives up on the hub. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Page size for oldest-first history; big enough to be quick, small enough to print as it comes. */
export const ASC_PAGE = 1_000;

export interface HistoryClientOptions {
  httpUrl: string;
  token: string;
  requestTimeoutMs?: number;
}

export interface HistoryPage {
  logs: JsonRecord[];
  nextCursor?: string;
}

export interface HistoryClient {
  /** One page of `GET /logs` with these parameters. */
  page(params: URLSearchParams): Promise<HistoryPage>;
}

/** Turns a hub error answer into one line a person can act on. */
export function hubErrorMessage(status: number, body: { error?: unknown; code?: unknown; param?: unknown } | undefined, what: string): string {
  const detail = typeof body?.error === 'string' ? body.error : undefined;
  if (status === 401) return `the hub refused the token (401${detail ? `: ${detail}` : ''}); check --token / LOGWIRE_TOKEN`;
  if (status === 403) return `the token may not read logs (403${detail ? `: ${detail}` : ''})`;
  if (status === 400) {
    const param = typeof body?.param === 'string' ? `${body.param}: ` : '';
    return `the hub rejected the ${what}: ${param}${detail ?? 'bad request'}`;
  }
  if (status === 404) return `the hub has no ${what} endpoint (404); is ${'--hub'} a logwire hub?`;
  return `the hub answered ${status} to the ${what}${detail ? `: ${detail}` : ''}`;
}

export function createHistoryClient(opts: HistoryClientOptions): HistoryClient {
  const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  return {
    async page(params) {
      const url = `${opts.httpUrl}/logs?${params.toString()}`;
      let res: Response;
      try {
        res = await fetch(url, {
          headers: { authorization: `Bearer ${opts.token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new CliError(`cannot reach the hub at ${opts.httpUrl}: ${describeNetworkError(err)}`, undefined, { cause: err });
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        throw new CliError(`lost the hub at ${opts.httpUrl} while reading history: ${describeNetworkError(err)}`, undefined, { cause: err });
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!res.ok) throw new CliError(hubErrorMessage(res.status, body as Record<string, unknown> | undefined, 'history query'));
      const b = body as { logs?: unknown; next_cursor?: unknown } | undefined;
      if (!b || !Array.isArray(b.logs)) throw new CliError(`the hub at ${opts.httpUrl} answered GET /logs with something that is not a logwire history page`);
      const page: HistoryPage = { logs: b.logs.map(toPrintable).filter((r): r is JsonRecord => r !== undefined) };
      if (typeof b.next_cursor === 'string' && b.next_cursor !== '') page.nextCursor = b.next_cursor;
      return page;
    },
  };
}

/**
 * Yields every matching record oldest first, page by page. Stops when the hub gives no cursor or
 * an empty page.
 */
export async function* historyAscending(client: HistoryClient, base: URLSearchParams, pageSize = ASC_PAGE): AsyncGenerator<JsonRecord[]> {
  let cursor: string | undefined;
  for (;;) {
    const params = new URLSearchParams(base);
    params.set('order', 'asc');
    params.set('limit', String(pageSize));
    if (cursor !== undefined) params.set('cursor', cursor);
    const page = await client.page(params);
    if (page.logs.length > 0) yield page.logs;
    if (page.nextCursor === undefined || page.logs.length === 0) return;
    cursor = page.nextCursor;
  }
}

/** The newest `limit` matching records, returned oldest first (as `tail -n`). */
export async function historyNewest(client: HistoryClient, base: URLSearchParams, limit: number, maxPage: number): Promise<JsonRecord[]> {
  const out: JsonRecord[] = [];
  let cursor: string | undefined;
  while (out.length < limit) {
    const params = new URLSearchParams(base);
    params.set('order', 'desc');
    params.set('limit', String(Math.min(maxPage, limit - out.length)));
    if (cursor !== undefined) params.set('cursor', cursor);
    const page = await client.page(params);
    out.push(...page.logs.slice(0, limit - out.length));
    if (page.nextCursor === undefined || page.logs.length === 0) break;
    cursor = page.nextCursor;
  }
  return out.reverse();
}

/** Above every record id (ids are base32hex, `v` the largest digit): "received before the end". */
const AFTER_EVERY_ID = 'v'.repeat(24);

/**
 * Id of the last RECEIVED record of any kind: the no-gap starting point for a live tail, which
 * replays in receive order. (Plain GET /logs lists by event time, whose newest may be older.)
 */
export async function newestId(client: HistoryClient): Promise<string | undefined> {
  const page = await client.page(new URLSearchParams({ order: 'desc', limit: '1', after: AFTER_EVERY_ID }));
  return page.logs[0]?.id;
}
