/**
 * Errors the store raises for conditions the caller must surface (HTTP 500/503 / an error log)
 * while the process keeps serving: a stored value that does not decode, a store used after close,
 * a write the disk refused.
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

/**
 * A write could not be committed or flushed: the disk is full, the LMDB map cannot grow, or the
 * file system failed. Nothing of the failed commit was acked; the store keeps serving reads and
 * the next commit that succeeds makes it writable again (docs/guarantees.md).
 */
export class StoreUnavailableError extends Error {
  readonly code = 'HUB_ERR_STORE_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`the store cannot write right now (${describeCause(cause)}): free disk space; ingest resumes by itself once a write succeeds`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

function describeCause(err: unknown): string {
  const e = err as { message?: string; code?: unknown } | undefined;
  if (e?.code === 'ENOSPC' || e?.code === 28) return 'no space left on the device';
  if (e?.code === -30792 || /MDB_MAP_FULL/.test(String(e?.message))) return 'the LMDB map is full and cannot grow';
  if (/^Commit failed/.test(String(e?.message))) return 'the disk refused the commit: full, or an I/O error';
  return e?.message ?? String(err);
}

/**
 * Turns a failed lmdb-js commit into a StoreUnavailableError with the real cause. lmdb-js rejects
 * each write with a generic "Commit failed" whose `commitError` promise carries the cause and
 * rejects later; left unobserved, that second rejection would take the process down.
 */
export function storeWriteError(err: unknown): Error {
  if (err instanceof StoreUnavailableError || err instanceof StoreClosedError) return err;
  const pending = (err as { commitError?: Promise<unknown> } | undefined)?.commitError;
  const out = new StoreUnavailableError(err);
  if (pending && typeof pending.then === 'function') {
    pending.then(
      () => undefined,
      (cause: unknown) => {
        (out as { cause?: unknown }).cause = cause;
        out.message = new StoreUnavailableError(cause).message;
      },
    );
  }
  return out;
}
