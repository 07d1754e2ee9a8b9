/**
 * `--cluster-secret`: an HMAC-SHA256 on every NATS message a hub sends (records, announcements,
 * history requests and answers), so that only holders of the secret can speak for a hub
 * (docs/nats.md "Signing").
 *
 * The signature travels in one NATS header, the payload is unchanged:
 *
 *   Logwire-Sig: v1 <epoch ms> <base64url HMAC-SHA256>
 *
 * over the bytes `logwire-bus-v1 \0 <subject> \0 <reply subject or ""> \0 <epoch ms> \0 <payload>`.
 * Binding the subject stops a signed message from being replayed on another subject; binding the
 * reply subject stops a captured request from being redirected to an attacker's inbox, and ties
 * an answer to the one request (inbox) it answers; the time bounds how long a capture is worth
 * anything (`maxSkewMs` either way). Record messages are additionally deduplicated by their
 * per-origin counter (envelope.ts), so a replay inside the window is dropped too.
 *
 * Cost: one HMAC per NATS message (not per record); see bench/bus-signing.bench.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Logwire-Sig';
const VERSION = 'v1';
const DOMAIN = Buffer.from('logwire-bus-v1\0');
const SIG_BYTES = 32;
/** Default accepted clock difference between hubs (and age of a message). */
export const DEFAULT_MAX_SKEW_MS = 120_000;

export type VerifyOutcome = 'ok' | 'unsigned' | 'bad_signature' | 'stale';

export interface Signer {
  /** The header value for a message on `subject` (with `reply`, for requests) sent now. */
  sign(subject: string, reply: string, payload: Uint8Array, nowMs?: number): string;
  /** Checks a received message's header value. */
  verify(subject: string, reply: string, payload: Uint8Array, header: string | undefined, nowMs?: number): VerifyOutcome;
}

export function createSigner(secret: string, maxSkewMs = DEFAULT_MAX_SKEW_MS): Signer {
  const key = Buffer.from(secret, 'utf8');
  const mac = (subject: string, reply: string, ts: number, payload: Uint8Array): Buffer =>
    createHmac('sha256', key).update(DOMAIN).update(`${subject}\0${reply}\0${ts}\0`).update(payload).digest();

  return {
    sign(subject, reply, payload, nowMs = Date.now()) {
      return `${VERSION} ${nowMs} ${mac(subject, reply, nowMs, payload).toString('base64url')}`;
    },
    verify(subject, reply, payload, header, nowMs = Date.now()) {
      if (!header) return 'unsigned';
      const parts = header.split(' ');
      if (parts.length !== 3 || parts[0] !== VERSION || !/^\d{1,16}$/.test(parts[1])) return 'bad_signature';
      const ts = Number(parts[1]);
      const given = Buffer.from(parts[2], 'base64url');
      if (given.byteLength !== SIG_BYTES) return 'bad_signature';
      if (!timingSafeEqual(given, mac(subject, reply, ts, payload))) return 'bad_signature';
      // Checked after the MAC so that only genuine (but old or early) messages count as stale.
      return Math.abs(nowMs - ts) > maxSkewMs ? 'stale' : 'ok';
    },
  };
}
