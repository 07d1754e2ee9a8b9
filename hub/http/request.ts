/**
 * Reading uWebSockets.js requests. A uWS `HttpRequest` is valid only until the handler first
 * returns or awaits, so everything a handler needs is copied here synchronously, and
 * `onAborted` is attached before any await (uWS docs/index.d.ts).
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { HubError } from '../errors.js';

export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string;
  contentType: string;
  contentLength: number | undefined;
  accept: string;
  host: string;
  /** Path parameters, in order (uWS `req.getParameter(i)`), URL-decoded. */
  params: string[];
}

export function readRequest(req: HttpRequest, paramCount = 0): RequestInfo {
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(safeDecode(req.getParameter(i) ?? ''));
  const len = req.getHeader('content-length');
  return {
    method: req.getCaseSensitiveMethod ? req.getCaseSensitiveMethod() : req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: new URLSearchParams(req.getQuery() ?? ''),
    authorization: req.getHeader('authorization'),
    contentType: req.getHeader('content-type').toLowerCase(),
    contentLength: len === '' ? undefined : Number(len),
    accept: req.getHeader('accept'),
    host: req.getHeader('host'),
    params,
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** All values of a query parameter (repeated); the filter parser splits commas. */
export function queryValues(q: URLSearchParams): (name: string) => string[] {
  return (name) => q.getAll(name);
}

/** Tracks whether the client went away, so late writes are skipped and body reads end. */
export interface Aborted {
  aborted: boolean;
  /** Runs `fn` when the client goes away (immediately if it already has). */
  onAbort(fn: () => void): void;
}

/** uWS allows one onAborted handler per response: this one fans out to listeners. */
export function watchAborted(res: HttpResponse): Aborted {
  const listeners: Array<() => void> = [];
  const state: Aborted = {
    aborted: false,
    onAbort(fn) {
      if (state.aborted) fn();
      else listeners.push(fn);
    },
  };
  res.onAborted(() => {
    state.aborted = true;
    for (const fn of listeners) fn();
  });
  return state;
}

/**
 * Reads the whole body into one Buffer, refusing (413) as soon as it exceeds `limitBytes`.
 * Must be called synchronously in the handler (before any await), after `watchAborted`.
 */
/** Called with the bytes of a body read so far; false refuses the body (HUB_ERR_BUSY). */
export type BodyAdmission = (bytesSoFar: number) => boolean;

/**
 * readBody with a BodyAdmission asked first for the declared length (an honest client learns at
 * once), then for the bytes as they arrive; a 413 for an oversize declared length comes first.
 */
export function readAdmittedBody(res: HttpResponse, limitBytes: number, declaredLength: number | undefined, aborted: Aborted, admit: BodyAdmission): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength <= limitBytes && !admit(declaredLength)) return Promise.reject(busyError());
  return readBody(res, limitBytes, declaredLength, aborted, admit);
}

/** The 503 for a body refused by its BodyAdmission. */
export function busyError(): HubError {
  return new HubError('HUB_ERR_BUSY', 'the hub is holding as many ingest bytes as it may (--max-queued-bytes); retry after the Retry-After delay');
}

export function readBody(res: HttpResponse, limitBytes: number, declaredLength: number | undefined, aborted: Aborted, admit?: BodyAdmission): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (declaredLength !== undefined && declaredLength > limitBytes) {
      reject(new HubError('HUB_ERR_TOO_LARGE', `request body of ${declaredLength} bytes is over the ${limitBytes}-byte limit; send smaller batches`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    aborted.onAbort(() => {
      if (!settled) reject(new HubError('HUB_ERR_BAD_BODY', 'the client went away while sending the body'));
      settled = true;
    });
    res.onData((chunk, isLast) => {
      if (settled) return;
      size += chunk.byteLength;
      if (size > limitBytes) {
        settled = true;
        reject(new HubError('HUB_ERR_TOO_LARGE', `request body is over the ${limitBytes}-byte limit; send smaller batches`));
        return;
      }
      if (admit && !admit(size)) {
        settled = true;
        reject(busyError());
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) {
        settled = true;
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      }
    });
  });
}
