import { describe, expect, it } from 'vitest';
import { createSigner } from '../../../hub/bus/signing.js';

const payload = Buffer.from('{"o":"x","n":0,"r":[]}');

describe('signing - HMAC over subject, reply, time and payload', () => {
  const s = createSigner('a shared secret of some length', 60_000);
  const now = 1_800_000_000_000;
  const sig = s.sign('logwire.logs.a.INFO', '', payload, now);

  it('signing - accepts its own signature and refuses any change to what it covers', () => {
    expect(sig).toMatch(/^v1 1800000000000 [A-Za-z0-9_-]{43}$/);
    expect(s.verify('logwire.logs.a.INFO', '', payload, sig, now + 1000)).toBe('ok');
    expect(s.verify('logwire.logs.b.INFO', '', payload, sig, now)).toBe('bad_signature');
    expect(s.verify('logwire.logs.a.INFO', '_INBOX.evil', payload, sig, now)).toBe('bad_signature');
    expect(s.verify('logwire.logs.a.INFO', '', Buffer.from('{"o":"y","n":0,"r":[]}'), sig, now)).toBe('bad_signature');
    expect(s.verify('logwire.logs.a.INFO', '', payload, sig.replace('1800000000000', '1800000000001'), now)).toBe('bad_signature');
    expect(createSigner('another secret of some length').verify('logwire.logs.a.INFO', '', payload, sig, now)).toBe('bad_signature');
  });

  it('signing - a genuine message outside the time window is stale; missing or garbage headers are unsigned or bad', () => {
    expect(s.verify('logwire.logs.a.INFO', '', payload, sig, now + 60_001)).toBe('stale');
    expect(s.verify('logwire.logs.a.INFO', '', payload, sig, now - 60_001)).toBe('stale');
    expect(s.verify('logwire.logs.a.INFO', '', payload, undefined, now)).toBe('unsigned');
    expect(s.verify('logwire.logs.a.INFO', '', payload, '', now)).toBe('unsigned');
    for (const junk of ['v1', 'v2 1 abc', 'v1 x abc', `v1 ${now} short`, `v1 ${now} ${'A'.repeat(43)} extra`, `v1 ${'9'.repeat(40)} ${'A'.repeat(43)}`]) {
      expect(s.verify('logwire.logs.a.INFO', '', payload, junk, now), junk).toBe('bad_signature');
    }
  });
});
