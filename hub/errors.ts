/**
 * HubError and the single catalog of stable error codes. HTTP answers carry
 * `{"error": <for a person>, "code": <from this catalog>}`; README documents the catalog and
 * test/unit/errors.test.ts fails when the two drift apart.
 */

export const ErrorCatalog = {
  HUB_ERR_BAD_PARAM: { status: 400, summary: 'a query parameter is invalid; the message names it' },
  HUB_ERR_BAD_BODY: { status: 400, summary: 'the request body is not valid JSON, NDJSON or MessagePack, or not UTF-8' },
  HUB_ERR_UNAUTHORIZED: { status: 401, summary: 'missing or unknown token' },
  HUB_ERR_FORBIDDEN: { status: 403, summary: 'the token lacks the scope this endpoint needs' },
  HUB_ERR_NOT_FOUND: { status: 404, summary: 'no such endpoint or resource' },
  HUB_ERR_METHOD_NOT_ALLOWED: { status: 405, summary: 'the endpoint exists but not for this HTTP method' },
  HUB_ERR_UPGRADE_REQUIRED: { status: 426, summary: 'a WebSocket endpoint was requested without a WebSocket upgrade' },
  HUB_ERR_TOO_LARGE: { status: 413, summary: 'the request body is over the configured limit' },
  HUB_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'the body content type is not JSON, NDJSON or MessagePack' },
  HUB_ERR_INTERNAL: { status: 500, summary: 'an unexpected fault; the hub log has details' },
  HUB_ERR_STORE_UNAVAILABLE: { status: 503, summary: 'the store cannot be used (disk full, corrupt, closed)' },
  HUB_ERR_BUSY: { status: 503, summary: 'the hub holds as many ingest bytes as --max-queued-bytes allows; retry after Retry-After seconds' },
  HUB_ERR_CONFIG: { status: 0, summary: 'startup configuration is invalid' },
} as const;

export type ErrorCode = keyof typeof ErrorCatalog;

export class HubError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The query parameter at fault, for 400s. */
  readonly param?: string;

  constructor(code: ErrorCode, message: string, opts: { param?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'HubError';
    this.code = code;
    this.status = ErrorCatalog[code].status;
    if (opts.param !== undefined) this.param = opts.param;
  }

  toJSON(): { error: string; code: ErrorCode; param?: string } {
    return this.param === undefined ? { error: this.message, code: this.code } : { error: this.message, code: this.code, param: this.param };
  }
}

export function badParam(param: string, message: string): HubError {
  return new HubError('HUB_ERR_BAD_PARAM', message, { param });
}

/**
 * Wraps anything thrown into a HubError: the boundary where the store's own codes (store-error.ts,
 * bounds.ts) become catalog codes. Unknown faults become HUB_ERR_INTERNAL.
 */
export function toHubError(err: unknown): HubError {
  if (err instanceof HubError) return err;
  // The store's write and closed errors (store/store-error.ts), matched by code: retryable 503s.
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'HUB_ERR_STORE_UNAVAILABLE' || code === 'HUB_ERR_STORE_CLOSED') {
    return new HubError('HUB_ERR_STORE_UNAVAILABLE', (err as Error).message, { cause: err });
  }
  if (code === 'HUB_ERR_STORE_CORRUPT') {
    return new HubError('HUB_ERR_STORE_UNAVAILABLE', `${(err as Error).message}; the hub log has details, the rest of the store still answers`, { cause: err });
  }
  if (code === 'HUB_ERR_INVALID_CURSOR') return badParam('cursor', `cursor ${(err as Error).message}; pass next_cursor or a record id unchanged`);
  return new HubError('HUB_ERR_INTERNAL', 'internal error; see the hub log', { cause: err });
}
