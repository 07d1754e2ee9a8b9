/**
 * GET /logs, GET /logs/:service and DELETE /logs (docs/http-api.md).
 *
 * Listings go by event time (timestamp, then id); `after=<id>` lists in receive order instead.
 * Record queries go through `ctx.history` (this hub's store, or every hub's merged), one
 * page at a time: a page asks for `limit + 1` matches so `next_cursor` is null exactly when
 * nothing follows. With `Accept: application/x-ndjson`, GET /logs streams every match instead
 * (./ndjson-export.ts).
 */
import type { HistoryQuery } from '../context.js';
import { badParam } from '../errors.js';
import { queryValues } from '../http/request.js';
import { parseFilter } from '../filter/filter.js';
import type { QueryCall, QueryRoute } from './handler.js';
import { streamNdjson } from './ndjson-export.js';
import { recordsJsonArray } from './record-json.js';
import {
  DEFAULT_LIMIT, DELETE_PARAMS, LOGS_PARAMS, MAX_LIMIT, SERVICE_LOGS_PARAMS,
  encodeCursor, parseLimit, parseOrder, parsePaging, parseRequiredTime, rejectUnknownParams, single,
} from './params.js';

const NDJSON = 'application/x-ndjson';

export function wantsNdjson(accept: string): boolean {
  return accept.toLowerCase().includes(NDJSON);
}

async function getLogs(call: QueryCall): Promise<void> {
  const { query } = call.req;
  rejectUnknownParams(query, LOGS_PARAMS);
  const ndjson = wantsNdjson(call.req.accept);
  // An export has no row cap; an explicit limit still bounds it.
  const limit = parseLimit(single(query, 'limit'), 'limit', ndjson ? Number.POSITIVE_INFINITY : DEFAULT_LIMIT, ndjson ? undefined : MAX_LIMIT);
  const paging = parsePaging(query, 'desc');
  const parsed = parseFilter(queryValues(query));
  if (!parsed.ok) throw badParam(parsed.param, parsed.message);
  const base: HistoryQuery = { filter: parsed.filter, order: paging.order, by: paging.by, after: paging.after, afterTs: paging.afterTs, limit };

  if (ndjson) {
    await streamNdjson(call, base);
    return;
  }
  const rows = await call.hub.history.query({ ...base, limit: limit + 1 });
  const more = rows.length > limit;
  if (more) rows.length = limit;
  const lastRow = rows[rows.length - 1];
  const next = more ? JSON.stringify(encodeCursor({ id: lastRow.id, ts: lastRow.ts, order: paging.order, by: paging.by })) : 'null';
  call.text(200, `{"count":${rows.length},"logs":${recordsJsonArray(rows)},"next_cursor":${next}}`);
}

/** Newest `limit` records of one service by event time, listed oldest first by default (as the file-tailing original). */
async function getServiceLogs(call: QueryCall): Promise<void> {
  const { query } = call.req;
  const service = call.req.params[0];
  rejectUnknownParams(query, SERVICE_LOGS_PARAMS);
  const limit = parseLimit(single(query, 'limit'), 'limit', DEFAULT_LIMIT, MAX_LIMIT);
  const order = parseOrder(single(query, 'order'), 'asc');
  const parsed = parseFilter(queryValues(query));
  if (!parsed.ok) throw badParam(parsed.param, parsed.message);
  const filter = { ...parsed.filter, services: new Set([service]) };
  const rows = await call.hub.history.query({ filter, order: 'desc', by: 'event', limit });
  if (order === 'asc') rows.reverse();
  call.text(200, `{"service":${JSON.stringify(service)},"count":${rows.length},"logs":${recordsJsonArray(rows)}}`);
}

async function deleteLogs(call: QueryCall): Promise<void> {
  const { query } = call.req;
  rejectUnknownParams(query, DELETE_PARAMS);
  const before = parseRequiredTime(single(query, 'before'), 'before');
  const deleted = await call.hub.store.deleteBefore(before);
  call.hub.log.info({ before: new Date(before).toISOString(), deleted, by: call.principal.name }, 'deleted records by request');
  call.json(200, { deleted, message: `${deleted} log(s) deleted` });
}

export const logsRoutes: QueryRoute[] = [
  { method: 'get', pattern: '/logs', scope: 'read', handler: getLogs },
  { method: 'get', pattern: '/logs/:service', scope: 'read', handler: getServiceLogs },
  { method: 'del', pattern: '/logs', scope: 'admin', handler: deleteLogs },
];
