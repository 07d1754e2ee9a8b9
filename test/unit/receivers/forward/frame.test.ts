import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { MsgpackSyntaxError, valueEnd } from '../../../../hub/receivers/forward/frame.js';

const packr = new Packr({ useRecords: false });
const samples: unknown[] = [
  ['tag', 1767225600, { message: 'hi', n: -5, f: 1.5, big: 2 ** 40, nested: { a: [1, null, true] } }],
  ['tag', [[1, { a: 'x'.repeat(300) }], [2, { b: Buffer.alloc(70_000) }]], { chunk: 'abc' }],
  ['tag', Buffer.alloc(5), { size: 1 }],
  { k: 'v'.repeat(40_000), arr: Array.from({ length: 20_000 }, (_, i) => i) },
];

describe('receivers/forward/frame', () => {
  it('receivers/forward/frame - finds the end of each value, and asks for more at every split offset', () => {
    for (const v of samples) {
      const bytes = packr.pack(v);
      expect(valueEnd(bytes, 0)).toBe(bytes.length);
      const step = Math.max(1, Math.floor(bytes.length / 3000));
      for (let cut = 0; cut < bytes.length; cut += step) expect(valueEnd(bytes.subarray(0, cut), 0)).toBe(-1);
      const two = Buffer.concat([bytes, bytes]);
      expect(valueEnd(two, bytes.length)).toBe(two.length);
    }
  });

  it('receivers/forward/frame - EventTime (fixext 8) and a never-valid byte', () => {
    const eventTime = Buffer.from([0x92, 0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 2, 0x80]);
    expect(valueEnd(eventTime, 0)).toBe(eventTime.length);
    expect(() => valueEnd(Buffer.from([0x91, 0xc1]), 0)).toThrow(MsgpackSyntaxError);
  });
});
