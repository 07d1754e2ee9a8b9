/**
 * Errors the store raises for conditions the caller must surface (HTTP 500 / an error log) while
 * the process keeps serving: a stored value that does not decode, or a store used after close.
 */

/** A stored value failed to decode (bit rot, truncation, a foreign writer). */
export class StoreCorruptError extends Error {
  readonly code = 'HUB_ERR_STORE_CORRUPT';
  constructor(what: string, options?: { cause?: unknown }) {
    super(`corrupted store value: ${what}`, options);
    this.name = 'StoreCorruptError';
  }
}

/** The store was closed (or is closing) when the call arrived. */
export class StoreClosedError extends Error {
  readonly code = 'HUB_ERR_STORE_CLOSED';
  constructor() {
    super('the store is closed');
    this.name = 'StoreClosedError';
  }
}
