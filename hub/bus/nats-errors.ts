/**
 * NatsError → our words. nats.js error codes stay inside hub/bus/: requests fail with a BusReply
 * code, everything else becomes a sentence for a person.
 */
import { ErrorCode, NatsError } from 'nats';
import type { BusReply } from './bus.js';

/** Turns anything nats.js throws into a sentence for a person (codes stay inside this module). */
export function describeNatsError(err: unknown): string {
  if (err instanceof NatsError) {
    switch (err.code) {
      case ErrorCode.ConnectionRefused: return 'connection refused (is nats-server running?)';
      case ErrorCode.ConnectionTimeout: case ErrorCode.Timeout: return 'connection timed out';
      case ErrorCode.AuthorizationViolation: case ErrorCode.BadAuthentication: return 'NATS refused our credentials';
      default: return `${err.code}: ${err.message}`;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

export function replyError(err: unknown, subject: string, timeoutMs: number): BusReply & { ok: false } {
  if (err instanceof NatsError) {
    switch (err.code) {
      case ErrorCode.NoResponders: return { ok: false, code: 'no_responders', message: `nothing answers on ${subject}` };
      case ErrorCode.Timeout: return { ok: false, code: 'timeout', message: `no reply on ${subject} within ${timeoutMs} ms` };
      case ErrorCode.MaxPayloadExceeded: return { ok: false, code: 'too_large', message: 'the request is over the NATS max_payload' };
      case ErrorCode.ConnectionClosed: case ErrorCode.ConnectionDraining: return { ok: false, code: 'closed', message: 'the NATS connection is closed' };
      case ErrorCode.Disconnect: return { ok: false, code: 'disconnected', message: 'NATS disconnected during the request' };
    }
  }
  return { ok: false, code: 'failed', message: describeNatsError(err) };
}
