/**
 * The write-ahead log value (hub/store/log.ts, docs/storage.md): segments written per append read
 * back as one group, event times chained per segment; format 1 values (one run) still read; a
 * value whose segment counts do not add up is reported corrupt, never misread.
 */
import { describe, expect, it } from 'vitest';
import { FLAG_FIELDS, LogView, joinLogValue } from '../../../hub/store/log.js';
import { encodeLogSegment } from '../../../hub/store/segment-writer.js';
import { StoreCorruptError } from '../../../hub/store/store-error.js';
import type { ValidRecord } from '../../../hub/protocol/record.js';

const rec = (ts: number, message: string, fields?: Record<string, unknown>): ValidRecord => ({ ts, service: 's', severity: 'INFO', message, ...(fields ? { fields } : {}) });

describe('store log value', () => {
  it('log - segments of several appends read back in order with their streams, times and fields', () => {
    const a = [rec(1_733_000_000_000, 'first'), rec(1_733_000_000_500, 'ünïcode ✓', { k: 1 })];
    const b = [rec(1_600_000_000_000, 'older event, later append'), rec(1_733_000_009_000, 'x'.repeat(300))];
    const value = joinLogValue(42, 4, [encodeLogSegment(a, [7, 300]), encodeLogSegment(b, [1, 7])]);
    const view = new LogView(value);
    expect(view.rts).toBe(42);
    expect(Array.from(view.sids)).toEqual([7, 300, 1, 7]);
    expect(Array.from(view.ts)).toEqual([1_733_000_000_000, 1_733_000_000_500, 1_600_000_000_000, 1_733_000_009_000]);
    expect([0, 1, 2, 3].map((i) => view.message(i))).toEqual(['first', 'ünïcode ✓', 'older event, later append', 'x'.repeat(300)]);
    expect(view.flags[1] & FLAG_FIELDS).toBe(FLAG_FIELDS);
    expect(view.body(1).fields).toEqual({ k: 1 });
    expect(view.body(0).fields).toBeUndefined();
  });

  it('log - a format 1 value (one run of entries, no segment counts) still reads', () => {
    // Format 1 = the header, then the entries of one segment without its u32 count.
    const seg = encodeLogSegment([rec(1_733_000_000_000, 'old'), rec(1_733_000_000_001, 'format')], [3, 4]);
    const v1 = Buffer.concat([Buffer.from([1]), Buffer.alloc(12), seg.subarray(4)]);
    v1.writeDoubleLE(9, 1);
    v1.writeUInt32LE(2, 9);
    const view = new LogView(v1);
    expect([view.message(0), view.message(1)]).toEqual(['old', 'format']);
    expect(Array.from(view.ts)).toEqual([1_733_000_000_000, 1_733_000_000_001]);
  });

  it('log - segment counts that do not add up to the group, or trailing bytes, are corruption', () => {
    const seg = encodeLogSegment([rec(1, 'a'), rec(2, 'b')], [1, 1]);
    expect(() => new LogView(joinLogValue(1, 3, [seg]))).toThrow(StoreCorruptError);
    expect(() => new LogView(joinLogValue(1, 1, [seg]))).toThrow(StoreCorruptError);
    expect(() => new LogView(Buffer.concat([joinLogValue(1, 2, [seg]), Buffer.from([0])]))).toThrow(StoreCorruptError);
  });
});
