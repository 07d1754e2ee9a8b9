/**
 * Elasticsearch bulk ingest (docs/receivers.md "Elasticsearch"): `POST|PUT /_bulk`,
 * `/{index}/_bulk`, and the same under `/es/`, for Filebeat, Logstash, rsyslog omelasticsearch,
 * Fluent Bit's es output, @elastic/elasticsearch and pino-elasticsearch. `GET|HEAD /es/` answers
 * as an Elasticsearch 8 node. Every answer here carries `X-Elastic-Product: Elasticsearch`.
 *
 * Per item: 201 created; 400/403 for a refused document; 409 for a `create` whose `_id` the
 * index already holds (nothing stored, as Elasticsearch does), so a resent bulk never
 * duplicates. An `index` with a known `_id` is a 200 `noop`: logwire never rewrites a record.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import { randomBytes } from 'node:crypto';
import type { HubContext } from '../../context.js';
import type { Principal } from '../../auth/tokens.js';
import { HubError } from '../../errors.js';
import type { IncomingRecord } from '../../protocol/frames.js';
import { registerReceiverRoute, type ReceiverResponse, type ReceiverRoute } from '../http-route.js';
import { ES_SERVICE_KEYS, mapRecord } from '../mapping.js';
import { receive } from '../receive.js';
import { BulkSyntaxError, parseBulk, type BulkItem } from './bulk.js';
import { openEsIdIndex, type EsIdIndex } from './ids.js';
import { esError, licenseInfo, nodeInfo } from './node-info.js';

const PRODUCT = { 'x-elastic-product': 'Elasticsearch' };
const utf8 = new TextDecoder('utf-8', { fatal: true });

type ItemResult = Record<string, unknown> & { status: number };

function json(status: number, body: unknown): ReceiverResponse {
  return { status, contentType: 'application/json; charset=UTF-8', body: JSON.stringify(body) };
}

function failed(item: BulkItem, status: number, type: string, reason: string): ItemResult {
  return { _index: item.index, _id: item.id ?? null, status, error: { type, reason } };
}

function succeeded(item: BulkItem, id: string, status: 200 | 201): ItemResult {
  return { _index: item.index, _id: id, _version: 1, result: status === 201 ? 'created' : 'noop', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 0, _primary_term: 1, status };
}

const REASON_STATUS: Record<string, number> = { forbidden_service: 403 };

async function bulk(ctx: HubContext, ids: EsIdIndex, principal: Principal, body: Buffer, urlIndex: string | undefined): Promise<ReceiverResponse> {
  const started = Date.now();
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HubError('HUB_ERR_BAD_BODY', 'the bulk body is not valid UTF-8');
  }
  let items: BulkItem[];
  try {
    items = parseBulk(text, urlIndex);
  } catch (err) {
    if (err instanceof BulkSyntaxError) throw new HubError('HUB_ERR_BAD_BODY', err.message);
    throw err;
  }
  const results: ItemResult[] = new Array(items.length);
  // Ids for documents without one: a random prefix per request and the item's position.
  const idPrefix = randomBytes(12).toString('base64url');
  const records: IncomingRecord[] = [];
  const origin: Array<{ item: number; id: string; claimed: boolean }> = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.error || !item.doc) {
      results[i] = failed(item, 400, item.error?.type ?? 'illegal_argument_exception', item.error?.reason ?? 'no document');
      continue;
    }
    if (item.id !== undefined && !ids.claim(item.index, item.id)) {
      results[i] = item.action === 'create'
        ? failed(item, 409, 'version_conflict_engine_exception', `[${item.id}]: version conflict, document already exists (current version [1])`)
        : succeeded(item, item.id, 200);
      continue;
    }
    records.push(mapRecord({ doc: item.doc, serviceKeys: ES_SERVICE_KEYS, fallbackService: item.index, extraFields: item.id !== undefined ? { _id: item.id } : undefined }));
    origin.push({ item: i, id: item.id ?? `${idPrefix}${i.toString(36)}`, claimed: item.id !== undefined });
  }
  const claims = origin.filter((o) => o.claimed).map((o): [string, string] => [items[o.item].index, o.id]);
  let outcome;
  try {
    outcome = records.length > 0 ? await receive(ctx, 'elasticsearch', principal, records) : { rejected: [] };
  } catch (err) {
    ids.release(claims);
    throw err;
  }
  const rejected = new Map(outcome.rejected.map((r) => [r.index, r.reason]));
  const stored: Array<[string, string]> = [];
  const refused: Array<[string, string]> = [];
  origin.forEach((o, j) => {
    const item = items[o.item];
    const reason = rejected.get(j);
    if (reason === undefined) results[o.item] = succeeded(item, o.id, 201);
    else results[o.item] = failed(item, REASON_STATUS[reason] ?? 400, 'document_parsing_exception', `logwire refused the document: ${reason}`);
    if (o.claimed) (reason === undefined ? stored : refused).push([item.index, o.id]);
  });
  ids.release(refused);
  await ids.commit(stored);
  const errors = results.some((r) => r.status >= 300);
  return json(200, { took: Date.now() - started, errors, items: results.map((r, i) => ({ [items[i].action]: r })) });
}

function errorAnswer(err: HubError): ReceiverResponse {
  const type = err.status === 401 ? 'security_exception' : err.status === 413 ? 'content_too_long_exception' : err.status === 503 ? 'unavailable_shards_exception' : 'illegal_argument_exception';
  return json(err.status || 500, esError(err.status || 500, type, err.message));
}

export function registerElasticsearchRoutes(app: TemplatedApp, ctx: HubContext): void {
  const ids = openEsIdIndex(ctx.config.dataDir);
  ctx.onClose(() => ids.close());
  const common = { protocol: 'elasticsearch' as const, headers: PRODUCT, error: errorAnswer };
  const route = (r: Omit<ReceiverRoute, 'protocol' | 'headers' | 'error'>) => registerReceiverRoute(app, ctx, { ...common, ...r });
  for (const prefix of ['', '/es']) {
    for (const method of ['post', 'put'] as const) {
      route({ method, pattern: `${prefix}/_bulk`, handle: ({ body, principal }) => bulk(ctx, ids, principal!, body, undefined) });
      route({ method, pattern: `${prefix}/:index/_bulk`, paramCount: 1, handle: ({ body, principal, info }) => bulk(ctx, ids, principal!, body, info.params[0]) });
    }
  }
  for (const pattern of ['/es', '/es/']) {
    route({ method: 'get', pattern, auth: false, handle: () => json(200, nodeInfo(ctx.store.hubId)) });
    route({ method: 'head', pattern, auth: false, handle: () => json(200, nodeInfo(ctx.store.hubId)) });
  }
  route({ method: 'get', pattern: '/es/_license', auth: false, handle: () => json(200, licenseInfo(ctx.store.hubId)) });
  route({
    method: 'any',
    pattern: '/es/*',
    body: false,
    auth: false,
    handle: ({ info }) => json(404, esError(404, 'logwire_unsupported', `logwire speaks only the bulk API of Elasticsearch: ${info.method} ${info.path} is not served (point index templates and ILM elsewhere, or disable them)`)),
  });
}
