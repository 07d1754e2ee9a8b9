/**
 * The shipper's own logs: pino JSON on stderr (stdout stays free for `check` output), written
 * synchronously so they interleave correctly with the TTY status line, which they clear first.
 */
import { pino, type Logger } from 'pino';

export function createLogger(level: string, beforeWrite: () => void = () => undefined): Logger {
  const dest = {
    write(s: string) {
      beforeWrite();
      process.stderr.write(s);
    },
  };
  return pino({ level, base: { name: 'logwire-shipper' } }, dest);
}
