/**
 * The /hosts family (docs/http-api.md "/hosts") in the shapes of the push-aggregator REST API that existing clients
 * read (reference 004): `{"data": [...]}` with absolute `url` links built from the request's Host
 * header.
 *
 *   GET /hosts                   → [{host, url: …/hosts/<host>/}]
 *   GET /hosts/:host[/files]     → [{filename, host, url: …/hosts/<host>/logs?file=<file>}]
 *   GET /hosts/:host/logs?filter=&count=&file=
 *                                → [{filename, last_modified, logline, host, id, timestamp, severity, service}]
 *
 * `last_modified` is the event time in epoch seconds as a decimal string, as in the reference.
 * `filter` is a case-insensitive substring of the line; the §5 filters (severity, service, from,
 * to, regex …) work here too. Logs come newest first by event time unless `order=asc`.
 */
import { HubError, badParam } from '../errors.js';
import type { HostSummary } from '../store/types.js';
import { toJsonRecord } from '../protocol/record.js';
import { parseFilter } from '../filter/filter.js';
import { baseUrl, type QueryCall, type QueryRoute } from './handler.js';
import { DEFAULT_LIMIT, HOST_LOGS_PARAMS, MAX_LIMIT, NO_PARAMS, parseLimit, parseOrder, rejectUnknownParams, single } from './params.js';

function findHost(call: QueryCall): HostSummary {
  const name = call.req.params[0];
  const host = call.hub.store.hosts().find((h) => h.host === name);
  if (!host) throw new HubError('HUB_ERR_NOT_FOUND', `no records from host "${name}"; GET /hosts lists the known hosts`);
  return host;
}

function hostUrl(base: string, host: string): string {
  return `${base}/hosts/${encodeURIComponent(host)}/`;
}

function listHosts(call: QueryCall): void {
  rejectUnknownParams(call.req.query, NO_PARAMS);
  const base = baseUrl(call);
  const hosts = call.hub.store.hosts().map((h) => h.host).sort();
  call.json(200, { data: hosts.map((host) => ({ host, url: hostUrl(base, host) })) });
}

function listFiles(call: QueryCall): void {
  rejectUnknownParams(call.req.query, NO_PARAMS);
  const host = findHost(call);
  const base = baseUrl(call);
  const files = host.files.map((f) => f.file).sort();
  call.json(200, {
    data: files.map((filename) => ({
      filename,
      host: host.host,
      url: `${base}/hosts/${encodeURIComponent(host.host)}/logs?file=${encodeURIComponent(filename)}`,
    })),
  });
}

async function hostLogs(call: QueryCall): Promise<void> {
  const { query } = call.req;
  rejectUnknownParams(query, HOST_LOGS_PARAMS);
  const host = findHost(call);
  const count = parseLimit(single(query, 'count'), 'count', DEFAULT_LIMIT, MAX_LIMIT);
  const order = parseOrder(single(query, 'order'), 'desc');
  const text = single(query, 'filter');
  const get = (name: string): string[] => {
    if (name === 'host') return [];
    if (name === 'q') return text !== undefined && text !== '' ? [text] : query.getAll('q');
    return query.getAll(name);
  };
  const parsed = parseFilter(get);
  if (!parsed.ok) throw badParam(parsed.param === 'q' && text ? 'filter' : parsed.param, parsed.message);
  const filter = { ...parsed.filter, hosts: new Set([host.host]) };
  const rows = await call.hub.history.query({ filter, order, by: 'event', limit: count });
  call.json(200, {
    data: rows.map((r) => {
      const j = toJsonRecord(r);
      return {
        filename: r.file ?? null,
        last_modified: String(r.ts / 1000),
        logline: r.message,
        host: host.host,
        id: j.id,
        timestamp: j.timestamp,
        severity: j.severity,
        service: j.service,
      };
    }),
  });
}

export const hostsRoutes: QueryRoute[] = [
  { method: 'get', pattern: '/hosts', scope: 'read', handler: listHosts },
  { method: 'get', pattern: '/hosts/:host', scope: 'read', handler: listFiles },
  { method: 'get', pattern: '/hosts/:host/files', scope: 'read', handler: listFiles },
  { method: 'get', pattern: '/hosts/:host/logs', scope: 'read', handler: hostLogs },
];
