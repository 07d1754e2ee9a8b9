/**
 * The one error type tail-cli shows to a person: a single clear line on stderr and an exit code.
 * Anything else that escapes is a bug and is reported as one line too (no stack trace unless
 * LOGWIRE_DEBUG is set).
 */

/** Exit codes: 1 = runtime failure (hub, network, token), 2 = bad command line. */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = ExitCode.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Turns a network error from fetch or ws into a short phrase ("connection refused"). */
export function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; message?: string }; message?: string };
  const code = e?.cause?.code ?? e?.code;
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host name not found';
    case 'ECONNRESET': return 'connection reset';
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return 'connection timed out';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable';
    case 'UND_ERR_SOCKET': return 'connection closed by the hub';
    default: break;
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'request timed out';
  return e?.cause?.message ?? e?.message ?? String(err);
}
