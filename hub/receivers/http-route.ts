/**
 * One HTTP route of a protocol receiver (Loki, OTLP, Elasticsearch): copy the request
 * synchronously, read the body within --max-body-bytes (413 past it, before and after
 * decompression) and --max-queued-bytes (503 past it), authenticate with an ingest token (Bearer, Token or Basic), undo
 * `Content-Encoding: gzip|deflate`, then let the protocol answer. Errors are rendered by the
 * protocol, in the shape its clients understand.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import type { HubContext } from '../context.js';
import type { Principal } from '../auth/tokens.js';
import { authenticate } from '../auth/authenticate.js';
import { HubError, toHubError } from '../errors.js';
import { readAdmittedBody, readRequest, watchAborted, type RequestInfo } from '../http/request.js';
import { BUSY_RETRY_AFTER_S } from '../http/respond.js';
import { countRefusedRequest, type ReceiverProtocol } from './receive.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface ReceiverRequest {
  info: RequestInfo;
  /** Lower-cased Content-Encoding as sent (already undone for gzip/deflate). */
  encoding: string;
  body: Buffer;
  /** Undefined on routes that need no token (e.g. the Elasticsearch probe). */
  principal?: Principal;
}

export interface ReceiverResponse {
  status: number;
  contentType?: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface ReceiverRoute {
  method: 'get' | 'post' | 'put' | 'head' | 'any';
  pattern: string;
  protocol: ReceiverProtocol;
  paramCount?: number;
  /** Default true: an ingest token is required. */
  auth?: boolean;
  /** Default true: read the body. */
  body?: boolean;
  handle: (req: ReceiverRequest) => Promise<ReceiverResponse> | ReceiverResponse;
  /** Renders a HubError in the protocol's own error shape. */
  error: (err: HubError, info: RequestInfo) => ReceiverResponse;
  /** Headers on every answer (Elasticsearch's X-Elastic-Product). */
  headers?: Record<string, string>;
}

const STATUS: Record<number, string> = { 200: '200 OK', 204: '204 No Content', 400: '400 Bad Request', 401: '401 Unauthorized', 403: '403 Forbidden', 404: '404 Not Found', 409: '409 Conflict', 413: '413 Payload Too Large', 415: '415 Unsupported Media Type', 429: '429 Too Many Requests', 500: '500 Internal Server Error', 503: '503 Service Unavailable' };

function write(res: HttpResponse, aborted: { aborted: boolean }, r: ReceiverResponse, common?: Record<string, string>, head = false): void {
  if (aborted.aborted) return;
  res.cork(() => {
    res.writeStatus(STATUS[r.status] ?? String(r.status));
    if (r.contentType) res.writeHeader('content-type', r.contentType);
    for (const [k, v] of Object.entries({ ...common, ...r.headers })) res.writeHeader(k, v);
    if (head) res.endWithoutBody();
    else res.end(r.body ?? '');
  });
}

/** Undoes gzip/deflate with the same size limit as the raw body (a zip bomb is a 413). */
export async function decodeContent(body: Buffer, encoding: string, limitBytes: number): Promise<Buffer> {
  const enc = encoding.trim();
  if (enc === '' || enc === 'identity') return body;
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return await gunzipAsync(body, { maxOutputLength: limitBytes });
    if (enc === 'deflate') return await inflateAsync(body, { maxOutputLength: limitBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new HubError('HUB_ERR_TOO_LARGE', `the ${enc}-decompressed body is over the ${limitBytes}-byte limit; send smaller batches`);
    }
    throw new HubError('HUB_ERR_BAD_BODY', `the body is not valid ${enc} (Content-Encoding: ${enc}): ${(err as Error).message}`);
  }
  throw new HubError('HUB_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${enc}" is not supported; send gzip, deflate or no encoding`);
}

function refusalReason(err: HubError): string {
  return err.code.replace(/^HUB_ERR_/, '').toLowerCase();
}

export function registerReceiverRoute(app: TemplatedApp, ctx: HubContext, route: ReceiverRoute): void {
  app[route.method](route.pattern, (res: HttpResponse, req: HttpRequest) => {
    const aborted = watchAborted(res);
    const info = readRequest(req, route.paramCount ?? 0);
    const encoding = req.getHeader('content-encoding').toLowerCase();
    const head = info.method.toUpperCase() === 'HEAD';
    const wantsBody = route.body !== false && !head && info.method.toUpperCase() !== 'GET';
    // A body counts against --max-queued-bytes while it is read, as POST /logs does (503 past it).
    const room = ctx.ingestQueue.bodyAdmission();
    const bodyPromise = wantsBody ? readAdmittedBody(res, ctx.config.maxBodyBytes, info.contentLength, aborted, room.admit) : Promise.resolve(Buffer.alloc(0));
    bodyPromise.catch(() => undefined);
    void (async () => {
      try {
        const principal = route.auth === false ? undefined : authenticate(ctx.tokens, info.authorization, null, 'ingest');
        const raw = await bodyPromise.finally(room.release);
        if (raw.length > 0) ctx.metrics.ingestBytes.inc({ path: route.protocol }, raw.length);
        const body = wantsBody ? await decodeContent(raw, encoding, ctx.config.maxBodyBytes) : raw;
        const answer = await route.handle({ info, encoding, body, principal });
        write(res, aborted, answer, route.headers, head);
      } catch (err) {
        // A stack overflow while walking a hostile body is that body's fault, not ours.
        const e = err instanceof RangeError && /call stack/i.test(err.message)
          ? new HubError('HUB_ERR_BAD_BODY', 'the body is nested too deeply to read')
          : toHubError(err);
        if (e.code === 'HUB_ERR_INTERNAL') ctx.log.error({ err, protocol: route.protocol }, `${info.method} ${info.path} failed`);
        countRefusedRequest(ctx, route.protocol, refusalReason(e));
        const answer = route.error(e, info);
        if (e.status === 401) answer.headers = { 'www-authenticate': 'Basic realm="logwire"', ...answer.headers };
        if (e.code === 'HUB_ERR_BUSY') answer.headers = { 'retry-after': String(BUSY_RETRY_AFTER_S), ...answer.headers };
        write(res, aborted, answer, route.headers, head);
      }
    })();
  });
}
