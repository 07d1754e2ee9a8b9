import { describe, expect, it } from 'vitest';
import { createBatcher, splitBatch, type Batch } from '../../../shipper/batch.js';
import type { ShipRecord } from '../../../shipper/parse.js';

const rec = (m: string): ShipRecord => ({ ts: 1, service: 's', severity: 'INFO', message: m, host: 'h' });
const ident = (key: string) => ({ key, path: `/${key}`, fpLen: 3, fpHash: 'x' });

describe('batch', () => {
  it('batch - a split batch has per-half positions: the first half never covers a record of the second', () => {
    const out: Batch[] = [];
    const b = createBatcher({ maxRecords: 5, maxBytes: 1 << 20, intervalMs: 1000 }, (x) => out.push(x));
    b.add(rec('a1'), 2, ident('a'), 10);
    b.add(rec('b1'), 2, ident('b'), 7);
    b.add(rec('a2'), 2, ident('a'), 20);
    b.add(rec('sim'), 3);
    b.add(rec('a3'), 2, ident('a'), 30);
    b.close();
    expect(out).toHaveLength(1);
    expect(out[0].positions.map((p) => [p.key, p.offset])).toEqual([['a', 30], ['b', 7]]);
    const [x, y] = splitBatch(out[0]);
    expect(x.records.map((r) => r.message)).toEqual(['a1', 'b1', 'a2']);
    expect(x.positions.map((p) => [p.key, p.offset])).toEqual([['a', 20], ['b', 7]]);
    expect(y.records.map((r) => r.message)).toEqual(['sim', 'a3']);
    expect(y.positions.map((p) => [p.key, p.offset])).toEqual([['a', 30]]);
  });
});
