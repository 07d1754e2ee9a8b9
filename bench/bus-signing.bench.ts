/**
 * Bus micro-benchmarks (hub/bus): what `--cluster-secret` and the strict validation of NATS
 * input cost on the live-tail hot path, old and new side by side. One NATS message carries one
 * commit group of records of one subject; the publisher encodes (+ signs) it, each subscribing
 * hub decodes (+ verifies) it and checks every record (peer-input.ts).
 *
 *   publish:  encodeEnvelopes            vs  encodeEnvelopes + sign (one HMAC per message)
 *   receive:  decodeEnvelope (as before) vs  verify + decodeEnvelope + checkPeerRecords
 *
 * for messages of 1, 100 and 1000 records of ~200 bytes (records/s = hz × records per message).
 *
 * Run:  npx vitest bench bench/bus-signing.bench.ts
 * Not part of the test suite (`vitest run` ignores it). Give the hardware with every figure.
 */
import { bench, describe } from 'vitest';
import { checkPeerRecords, recordFitsSubject } from '../hub/bus/peer-input.js';
import { decodeEnvelope, encodeEnvelopes } from '../hub/bus/envelope.js';
import { createSigner } from '../hub/bus/signing.js';
import type { WireRecord } from '../hub/protocol/frames.js';
import { makeId } from '../hub/protocol/ids.js';
import { DEFAULT_LIMITS } from '../hub/protocol/record.js';

const SUBJECT = 'logwire.logs.payments.INFO';
const signer = createSigner('a cluster secret of reasonable length');
const now = Date.now();

function group(n: number): WireRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: makeId(now, 'abcde', i), ts: now - i, rts: now, service: 'payments', severity: 'INFO' as const,
    message: `GET /api/v1/orders/${i} 200 ${i % 97}ms user=${i * 7919} trace=${(i * 2654435761).toString(16)} region=eu-west-1`,
    host: 'web-3', file: '/var/log/payments/app.log',
  }));
}

for (const n of [1, 100, 1000]) {
  const records = group(n);
  const payload = encodeEnvelopes('origin-1', 0, records, 1024 * 1024).payloads[0];
  const header = signer.sign(SUBJECT, '', payload);
  const drop = (): void => undefined;
  const fits = (r: WireRecord): string | undefined => (recordFitsSubject(r, SUBJECT) ? undefined : 'subject_mismatch');

  describe(`publish one message of ${n} records (${payload.byteLength} bytes)`, () => {
    bench('encode (before)', () => {
      encodeEnvelopes('origin-1', 0, records, 1024 * 1024);
    });
    bench('encode + sign', () => {
      const p = encodeEnvelopes('origin-1', 0, records, 1024 * 1024).payloads[0];
      signer.sign(SUBJECT, '', p);
    });
  });

  describe(`receive one message of ${n} records`, () => {
    bench('decode (before)', () => {
      decodeEnvelope(payload);
    });
    bench('decode + validate', () => {
      const env = decodeEnvelope(payload)!;
      checkPeerRecords(env.r, DEFAULT_LIMITS, drop, fits);
    });
    bench('verify + decode + validate', () => {
      if (signer.verify(SUBJECT, '', payload, header) !== 'ok') throw new Error('bad signature');
      const env = decodeEnvelope(payload)!;
      checkPeerRecords(env.r, DEFAULT_LIMITS, drop, fits);
    });
  });
}
