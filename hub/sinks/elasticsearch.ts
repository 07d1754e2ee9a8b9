/**
 * `elasticsearch` sink: the Bulk API with `create` actions whose `_id` is the record's logwire id,
 * so a resent batch never duplicates (the second `create` answers 409, which counts as delivered):
 * exactly once. The index is named per record from the template (`{service}` → the service,
 * lower-cased and reduced to characters index names allow).
 *
 * Per item: 2xx and 409 delivered; 429 and 5xx retried (only those items); any other status is a
 * refusal for good (a mapping error, say), counted as `rejected` and skipped.
 */
import type { WireRecord } from '../protocol/frames.js';
import { toIso } from '../protocol/time.js';
import { parseRetryAfter } from './backoff.js';
import type { SinkConfig } from './config.js';
import { createPoster, excerpt } from './http-post.js';
import { httpVerdict, type SendOutcome, type SinkSender } from './types.js';

/** An index name from the template; Elasticsearch wants lower case and no \ / * ? " < > | , # : or space. */
export function indexName(template: string, service: string): string {
  const svc = service.toLowerCase().replace(/[^a-z0-9._-]/g, '_').replace(/^[-_.+]+/, '');
  return template.replace(/\{service\}/g, svc || 'unknown').slice(0, 255);
}

/** The document stored for a record: ECS-style `@timestamp` and `message`, the labels, then fields. */
export function esDocument(r: WireRecord): Record<string, unknown> {
  const doc: Record<string, unknown> = { '@timestamp': toIso(r.ts), message: r.message, service: r.service, severity: r.severity };
  if (r.host !== undefined) doc.host = r.host;
  if (r.file !== undefined) doc.file = r.file;
  doc.received_at = toIso(r.rts);
  if (r.truncated) doc.truncated = true;
  if (r.fields) {
    let clashes: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(r.fields)) {
      if (Object.hasOwn(doc, k)) (clashes ??= {})[k] = v;
      else doc[k] = v;
    }
    if (clashes) doc.fields = clashes;
  }
  return doc;
}

export function bulkBody(records: WireRecord[], template: string): string {
  let out = '';
  for (const r of records) {
    out += `${JSON.stringify({ create: { _index: indexName(template, r.service), _id: r.id } })}\n`;
    out += `${JSON.stringify(esDocument(r))}\n`;
  }
  return out;
}

interface BulkItem { status?: number; error?: { type?: string; reason?: string } }

/** Sorts a bulk answer's items into delivered, retry and refused. */
export function bulkOutcome(records: WireRecord[], body: string, what: string): SendOutcome {
  let items: Array<Record<string, BulkItem>>;
  try {
    const parsed = JSON.parse(body) as { errors?: boolean; items?: Array<Record<string, BulkItem>> };
    if (parsed.errors === false) return { retry: [] };
    if (!Array.isArray(parsed.items) || parsed.items.length !== records.length) throw new Error('item count differs');
    items = parsed.items;
  } catch {
    return { retry: records, error: `${what} answered 200 with a body that is not a bulk answer for this request: ${excerpt(body)}` };
  }
  const retry: WireRecord[] = [];
  let refused = 0;
  let firstRefusal = '';
  let firstRetry = '';
  for (let i = 0; i < records.length; i++) {
    const item = items[i]?.create ?? Object.values(items[i] ?? {})[0];
    const status = item?.status ?? 0;
    if ((status >= 200 && status < 300) || status === 409) continue;
    const why = `${status} ${item?.error?.type ?? ''} ${item?.error?.reason ?? ''}`.trim();
    if (status === 429 || status >= 500 || status === 0) {
      retry.push(records[i]);
      firstRetry ||= why;
    } else {
      refused++;
      firstRefusal ||= why;
    }
  }
  const out: SendOutcome = { retry };
  if (refused > 0) out.skipped = { rejected: refused };
  if (retry.length > 0) out.error = `${what}: ${retry.length} item(s) to retry (${firstRetry})`;
  else if (refused > 0) out.error = `${what} refused ${refused} item(s) for good (${firstRefusal})`;
  return out;
}

export function createElasticsearchSink(cfg: SinkConfig): SinkSender {
  const poster = createPoster(cfg);
  return {
    async send(records) {
      const res = await poster.post(bulkBody(records, cfg.index), { 'content-type': 'application/x-ndjson' });
      if (res.status !== 200) return httpVerdict(res.status, records, cfg.url, parseRetryAfter(res.headers['retry-after']), res.error ?? excerpt(res.body));
      return bulkOutcome(records, res.body, cfg.url);
    },
    async close() {
      poster.close();
    },
  };
}
