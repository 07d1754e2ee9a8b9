/**
 * Writing uWebSockets.js responses. Every write is corked (it may run from a promise or timer)
 * and skipped when the client has gone away.
 */
import type { HttpResponse } from 'uWebSockets.js';
import type { Aborted } from './request.js';
import { HubError, toHubError } from '../errors.js';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 201: '201 Created', 204: '204 No Content', 400: '400 Bad Request', 401: '401 Unauthorized',
  403: '403 Forbidden', 404: '404 Not Found', 405: '405 Method Not Allowed', 413: '413 Payload Too Large',
  415: '415 Unsupported Media Type', 426: '426 Upgrade Required', 500: '500 Internal Server Error', 503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? String(status);
}

export function send(res: HttpResponse, aborted: Aborted, status: number, contentType: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  if (aborted.aborted) return;
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('content-type', contentType);
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(body);
  });
}

export function sendJson(res: HttpResponse, aborted: Aborted, status: number, body: unknown, headers?: Record<string, string>): void {
  send(res, aborted, status, 'application/json', JSON.stringify(body), headers);
}

/** Seconds a client is told to wait after HUB_ERR_BUSY: about how long stored batches take to free room. */
export const BUSY_RETRY_AFTER_S = 1;

export function sendError(res: HttpResponse, aborted: Aborted, err: unknown): void {
  const e = toHubError(err);
  const headers: Record<string, string> = {};
  if (e.status === 401) headers['www-authenticate'] = 'Bearer realm="logwire"';
  if (e.code === 'HUB_ERR_BUSY') headers['retry-after'] = String(BUSY_RETRY_AFTER_S);
  sendJson(res, aborted, e.status || 500, e.toJSON(), headers);
}

export { HubError };
