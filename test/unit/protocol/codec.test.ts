import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { decode, decodeFrame, encode, encodeFrame } from '../../../hub/protocol/codec.js';
import type { BatchFrame } from '../../../hub/protocol/frames.js';

const batch: BatchFrame = {
  type: 'batch',
  seq: 42,
  records: [
    { ts: 1_700_000_000_123, service: 'payments', severity: 'ERROR', message: 'card declined ✓ 日本語', host: 'web-1', file: '/var/log/app.log', fields: { user: 7, ok: false } },
    { service: 'auth', message: 'x'.repeat(300) },
  ],
};

describe('codec', () => {
  it('codec - round-trips every frame type as plain maps', () => {
    const frames = [
      { type: 'hello', shipper: 's1', host: 'h', version: 1 },
      { type: 'welcome', hub: 'h1', acked: 0, max_batch_bytes: 1024, max_inflight: 4 },
      batch,
      { type: 'ack', seq: 42, stored: 1, rejected: [{ index: 1, reason: 'missing_message' }] },
      { type: 'error', code: 'bad_batch', message: 'no' },
      { type: 'dropped', count: 3 },
      { type: 'heartbeat' },
    ] as const;
    for (const f of frames) {
      const r = decodeFrame(encodeFrame(f as never));
      expect(r).toEqual({ ok: true, frame: f });
    }
  });

  it('codec - a __proto__ key decodes as an own key, at any depth, and pollutes nothing', () => {
    const fields = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c", "nested": [{"__proto__": 2}]}');
    const r = decode(encode({ type: 'batch', seq: 1, records: [{ message: 'm', fields }] }));
    expect(r.ok).toBe(true);
    const got = (r as { value: { records: Array<{ fields: Record<string, unknown> }> } }).value.records[0].fields;
    expect(Object.keys(got)).toEqual(['__proto__', 'constructor', 'nested']);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toEqual(JSON.parse('{"polluted": 1}'));
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(got)).toBe(JSON.stringify(fields));
  });

  it('codec - frames are readable by any MessagePack decoder (no record extension)', () => {
    const other = new Packr({ useRecords: false, mapsAsObjects: true });
    expect(other.unpack(encodeFrame(batch))).toEqual(batch);
    // and frames from another encoder (with defaults) decode here
    expect(decodeFrame(new Packr({ useRecords: false }).pack(batch))).toEqual({ ok: true, frame: batch });
  });

  it('codec - a frame split at every byte offset is incomplete, never a crash or a wrong value', () => {
    const bytes = encodeFrame(batch);
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = decodeFrame(bytes.subarray(0, cut));
      expect(r.ok, `prefix of ${cut} bytes`).toBe(false);
      if (!r.ok) expect(['incomplete', 'malformed']).toContain(r.code);
    }
    // The pieces joined again decode to the original.
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const joined = Buffer.concat([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(decodeFrame(joined)).toEqual({ ok: true, frame: batch });
    }
  });

  it('codec - non-map values and maps without a type are refused with a reason', () => {
    expect(decodeFrame(encode([1, 2, 3]))).toMatchObject({ ok: false, code: 'not_a_map' });
    expect(decodeFrame(encode('hello'))).toMatchObject({ ok: false, code: 'not_a_map' });
    expect(decodeFrame(encode(null))).toMatchObject({ ok: false, code: 'not_a_map' });
    expect(decodeFrame(encode({ seq: 1 }))).toMatchObject({ ok: false, code: 'unknown_type' });
    expect(decodeFrame(encode({ type: 7 }))).toMatchObject({ ok: false, code: 'unknown_type' });
  });

  it('codec - random bytes never throw', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rand() * 64);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256);
      expect(() => decodeFrame(buf)).not.toThrow();
      expect(() => decode(buf)).not.toThrow();
    }
  });

  it('codec - decoded binary values do not alias the source buffer', () => {
    const src = encode({ type: 'batch', seq: 1, records: [{ message: 'm', fields: { blob: Buffer.from([1, 2, 3]) } }] });
    const r = decodeFrame(src);
    src.fill(0);
    expect(r.ok && (r.frame as BatchFrame).records[0].fields).toEqual({ blob: Buffer.from([1, 2, 3]) });
  });
});
