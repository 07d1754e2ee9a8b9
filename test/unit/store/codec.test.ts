import { describe, expect, it } from 'vitest';
import { decodeChunk, decodeMeta, encodeChunk } from '../../../hub/store/chunk.js';
import { StoreCorruptError } from '../../../hub/store/store-error.js';
import { idFromPrefix, idPrefix, isValidId, makeId, newHubTag, parseId } from '../../../hub/protocol/ids.js';
import { chunkKey, groupKey, parseChunkKey, parseGroupKey } from '../../../hub/store/keys.js';
import { readVarint, writeVarint, writeVarintPadded } from '../../../hub/store/varint.js';
import { makeRecords, rng } from '../../helpers/store.js';

describe('ids', () => {
  it('ids - fixed width, parse back, and string order equals (rts, tag, lseq) order', () => {
    const rand = rng(1);
    const parts = Array.from({ length: 2000 }, () => ({
      rts: Math.floor(rand() * 2 ** 44),
      tag: newHubTag(),
      lseq: Math.floor(rand() * 2 ** 48),
    }));
    const idsList = parts.map((p) => makeId(p.rts, p.tag, p.lseq));
    for (let i = 0; i < parts.length; i++) {
      expect(idsList[i]).toHaveLength(24);
      expect(isValidId(idsList[i])).toBe(true);
      expect(parseId(idsList[i])).toEqual(parts[i]);
    }
    const byParts = [...parts].sort((a, b) => a.rts - b.rts || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0) || a.lseq - b.lseq).map((p) => makeId(p.rts, p.tag, p.lseq));
    expect([...idsList].sort()).toEqual(byParts);
    expect(idFromPrefix(idPrefix(5, 'abcde'), 7)).toBe(makeId(5, 'abcde', 7));
    for (const bad of ['', 'x'.repeat(24), '0'.repeat(23), `${'0'.repeat(23)}W`]) expect(parseId(bad)).toBeUndefined();
  });
});

describe('keys', () => {
  it('keys - binary order equals numeric order and keys parse back', () => {
    const rand = rng(2);
    const cks = Array.from({ length: 500 }, () => ({ streamId: Math.floor(rand() * 2 ** 32), firstLseq: Math.floor(rand() * 2 ** 48) }));
    const sorted = [...cks].sort((a, b) => a.streamId - b.streamId || a.firstLseq - b.firstLseq);
    const byBytes = cks.map((c) => chunkKey(c.streamId, c.firstLseq)).sort(Buffer.compare).map((k) => parseChunkKey(k));
    expect(byBytes).toEqual(sorted);
    const gk = groupKey(1_700_000_000_123, 99);
    expect(parseGroupKey(gk)).toEqual({ rts: 1_700_000_000_123, firstLseq: 99 });
    expect(Buffer.compare(groupKey(5, 2 ** 40), groupKey(6, 0))).toBe(-1);
  });
});

describe('varint', () => {
  it('varint - round trips up to 2^53 and padded forms; truncation throws', () => {
    const buf = Buffer.alloc(16);
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1]) {
      const end = writeVarint(buf, 0, v);
      expect(readVarint(buf, { pos: 0 })).toBe(v);
      expect(() => readVarint(buf.subarray(0, end - 1), { pos: 0 })).toThrow(RangeError);
    }
    writeVarintPadded(buf, 0, 5, 3);
    const c = { pos: 0 };
    expect(readVarint(buf, c)).toBe(5);
    expect(c.pos).toBe(3);
  });
});

describe('chunk', () => {
  it('chunk - encodes and decodes records at their offsets, with meta', () => {
    const recs = makeRecords(3, 300);
    const positions = [0, 3, 4, 10, 100, 299];
    const c = encodeChunk(recs, positions, 1234);
    const entries = decodeChunk(c.value);
    expect(entries.map((e) => e.offset)).toEqual(positions);
    positions.forEach((p, i) => {
      const e = entries[i];
      expect(e.ts).toBe(recs[p].ts);
      expect(e.message).toBe(recs[p].message);
      expect(e.fields).toEqual(recs[p].fields);
      expect(e.truncated).toBe(recs[p].truncated);
    });
    const m = decodeMeta(c.meta);
    expect(m).toMatchObject({ n: 6, rts: 1234, lastOffset: 299, valueBytes: c.value.length });
    expect(m.minTs).toBe(Math.min(...positions.map((p) => recs[p].ts)));
    expect(m.maxTs).toBe(Math.max(...positions.map((p) => recs[p].ts)));
  });

  it('chunk - a corrupted or truncated value throws StoreCorruptError, never crashes', () => {
    const recs = makeRecords(4, 50);
    const c = encodeChunk(recs, recs.map((_, i) => i), 1);
    const rand = rng(4);
    for (let cut = 0; cut < c.value.length; cut += 7) {
      let out: unknown;
      try {
        out = decodeChunk(c.value.subarray(0, cut));
      } catch (err) {
        expect(err).toBeInstanceOf(StoreCorruptError);
        continue;
      }
      expect(Array.isArray(out)).toBe(true);
    }
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(c.value);
      for (let k = 0; k < 3; k++) bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
      try {
        decodeChunk(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(StoreCorruptError);
      }
    }
    expect(() => decodeMeta(c.meta.subarray(0, 20))).toThrow(StoreCorruptError);
  });
});
