/**
 * `POST /logs`: one record or an array in JSON (the shape simple Flask-style log servers take),
 * NDJSON (`application/x-ndjson`), or MessagePack (`application/msgpack`). Same validation and
 * durability as the WebSocket path; answers 201 `{"saved", "rejected"}` once durable.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HubContext } from '../context.js';
import { authenticate } from '../auth/authenticate.js';
import { HubError } from '../errors.js';
import { readAdmittedBody, readRequest, watchAborted } from '../http/request.js';
import { sendError, sendJson } from '../http/respond.js';
import { decode } from '../protocol/codec.js';
import { storeBatch } from './store-batch.js';
import { STREAM_LIMIT_HINT, STREAM_LIMIT_REASON } from '../store/stream-limits.js';
import { applyPostAliases } from '../receivers/mapping.js';
import type { InflightBudget } from './budget.js';
import type { QueuedBudget } from './queued-budget.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new HubError('HUB_ERR_BAD_BODY', 'the body is not valid UTF-8');
  }
}

function asRecordList(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') return [value];
  throw new HubError('HUB_ERR_BAD_BODY', `${what} must be one record (an object) or an array of records`);
}

/**
 * Content types read as JSON: JSON itself, none at all, and what curl -d (form encoding) and
 * simple clients (text/plain) send for a JSON body. Anything else is a 415.
 */
const JSON_LIKE = new Set(['', 'application/json', 'text/json', 'text/plain', 'application/x-www-form-urlencoded']);

/** Parses a body by content type into a list of candidate records. */
export function parseBody(contentType: string, body: Buffer): unknown[] {
  if (body.length === 0) throw new HubError('HUB_ERR_BAD_BODY', 'the body is empty; send a JSON record or an array of records');
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type === 'application/msgpack' || type === 'application/x-msgpack' || type === 'application/vnd.msgpack') {
    const r = decode(body);
    if (!r.ok) throw new HubError('HUB_ERR_BAD_BODY', `the MessagePack body is invalid: ${r.message}`);
    return asRecordList(r.value, 'the MessagePack body');
  }
  const s = text(body);
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') {
    const out: unknown[] = [];
    const lines = s.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      try {
        out.push(JSON.parse(line));
      } catch (err) {
        throw new HubError('HUB_ERR_BAD_BODY', `NDJSON line ${i + 1} is not valid JSON: ${(err as Error).message}`);
      }
    }
    if (out.length === 0) throw new HubError('HUB_ERR_BAD_BODY', 'the NDJSON body has no records');
    return out;
  }
  if (!JSON_LIKE.has(type) && !type.endsWith('+json')) {
    throw new HubError('HUB_ERR_UNSUPPORTED_MEDIA_TYPE', `content type "${type.slice(0, 100)}" is not accepted; send application/json, application/x-ndjson or application/msgpack`);
  }
  let value: unknown;
  try {
    value = JSON.parse(s);
  } catch (err) {
    throw new HubError('HUB_ERR_BAD_BODY', `the body is not valid JSON: ${(err as Error).message}`);
  }
  return asRecordList(value, 'the JSON body');
}

export function registerHttpIngestRoutes(app: TemplatedApp, ctx: HubContext, budget: InflightBudget, queued: QueuedBudget): void {
  app.post('/logs', (res, req) => {
    const aborted = watchAborted(res);
    const info = readRequest(req);
    // Authenticate before reading a byte of the body (docs/guarantees.md): a stranger's 15 MiB is never buffered.
    let principal: ReturnType<typeof authenticate>;
    try {
      principal = authenticate(ctx.tokens, info.authorization, null, 'ingest');
    } catch (err) {
      sendError(res, aborted, err);
      return;
    }
    // While it is read, the body counts against --max-queued-bytes like a waiting frame: 503 past it.
    const room = queued.bodyAdmission();
    const bodyPromise = readAdmittedBody(res, ctx.config.maxBodyBytes, info.contentLength, aborted, room.admit);
    bodyPromise.catch(() => undefined); // observed below; never an unhandled rejection
    void (async () => {
      let held = 0;
      try {
        const body = await bodyPromise.finally(room.release);
        // Counted in the ingest budget while it is stored, so WebSocket frames wait meanwhile.
        budget.take((held = body.length));
        ctx.metrics.ingestBytes.inc({ path: 'http' }, body.length);
        const records = parseBody(info.contentType, body).map(applyPostAliases);
        const outcome = await storeBatch(ctx, 'http', principal, records);
        if (outcome.stored === 0 && outcome.rejected.length > 0) {
          const first = outcome.rejected[0];
          const hint = first.reason === STREAM_LIMIT_REASON ? `; ${STREAM_LIMIT_HINT}` : '';
          sendJson(res, aborted, 400, {
            error: `no record was saved: record ${first.index} was rejected (${first.reason})${outcome.rejectedCount > 1 ? ` and ${outcome.rejectedCount - 1} more` : ''}${hint}`,
            code: 'HUB_ERR_BAD_BODY',
            rejected: outcome.rejected,
            rejected_count: outcome.rejectedCount,
          });
          return;
        }
        const answer: Record<string, unknown> = { saved: outcome.stored, rejected: outcome.rejected, message: 'Log(s) saved successfully' };
        if (outcome.rejectedCount > outcome.rejected.length) answer.rejected_count = outcome.rejectedCount; // list capped
        sendJson(res, aborted, 201, answer);
      } catch (err) {
        if (!(err instanceof HubError)) ctx.log.error({ err }, 'POST /logs failed');
        sendError(res, aborted, err);
      } finally {
        if (held > 0) budget.release(held);
      }
    })();
  });
}
