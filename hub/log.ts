/**
 * The hub's own logs (pino). Levels follow operator action: `error` means data was lost or
 * someone must act; client faults are `info`/`warn`. Tokens and whole records never appear at
 * info; the `authorization` header is redacted wherever it is logged.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'logwire-hub' },
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
