/**
 * The Forward protocol's shared-key handshake (`--forward-shared-key`): the server opens with
 * HELO {nonce, auth, keepalive}; the client answers PING [hostname, salt, digest, user, pass]
 * where digest = sha512_hex(salt + hostname + nonce + key); the server checks it and answers
 * PONG [ok, reason, server hostname, sha512_hex(salt + server hostname + nonce + key)].
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';

export interface Handshake {
  nonce: Buffer;
  helo: unknown[];
}

export function startHandshake(): Handshake {
  const nonce = randomBytes(16);
  return { nonce, helo: ['HELO', { nonce, auth: Buffer.alloc(0), keepalive: true }] };
}

const sha512 = (...parts: Array<string | Buffer>) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const text = (v: unknown): string => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'string' ? v : '');

/** Checks a PING; returns the PONG to send and whether the client may go on. */
export function answerPing(ping: unknown, hs: Handshake, sharedKey: string): { ok: boolean; pong: unknown[]; reason: string } {
  const server = hostname();
  if (!Array.isArray(ping) || text(ping[0]) !== 'PING' || ping.length < 4) {
    return { ok: false, reason: 'expected PING after HELO', pong: ['PONG', false, 'expected PING after HELO', server, ''] };
  }
  const clientHost = text(ping[1]);
  const salt = ping[2] instanceof Uint8Array ? Buffer.from(ping[2]) : Buffer.from(text(ping[2]));
  const expected = Buffer.from(sha512(salt, clientHost, hs.nonce, sharedKey));
  const got = Buffer.from(text(ping[3]));
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
    return { ok: false, reason: 'shared key mismatch', pong: ['PONG', false, 'shared_key mismatch', server, ''] };
  }
  return { ok: true, reason: '', pong: ['PONG', true, '', server, sha512(salt, server, hs.nonce, sharedKey)] };
}
