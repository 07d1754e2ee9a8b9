import { describe, expect, it } from 'vitest';
import { META_HEADER_BYTES, decodeMeta, encodeChunk } from '../../../hub/store/chunk.js';
import { mayContain, needleHashes, newSketch } from '../../../hub/store/trigram.js';
import { collect, makeRecords, rng, tempStore } from '../../helpers/store.js';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('trigram', () => {
  it('trigram - a chunk and its group bitmap never rule out a substring of a stored message (any case)', () => {
    const rand = rng(11);
    for (let round = 0; round < 40; round++) {
      const recs = makeRecords(round + 100, 1 + Math.floor(rand() * 200));
      const group = newSketch(12);
      const c = encodeChunk(recs, recs.map((_, i) => i), 1, group);
      const meta = decodeMeta(c.meta);
      for (let k = 0; k < 50; k++) {
        const msg = recs[Math.floor(rand() * recs.length)].message;
        const start = Math.floor(rand() * msg.length);
        let needle = msg.slice(start, start + 3 + Math.floor(rand() * 12));
        needle = [...needle].map((ch) => (rand() < 0.5 ? ch.toUpperCase() : ch.toLowerCase())).join('');
        const h = needleHashes(needle.toLowerCase());
        if (!h) continue;
        expect(mayContain(meta.buf, META_HEADER_BYTES, meta.log2, h), needle).toBe(true);
        expect(mayContain(group.bits, 0, group.log2, h), needle).toBe(true);
      }
    }
  });

  it('trigram - short and non-ASCII needles are never used to prune', () => {
    expect(needleHashes('ab')).toBeUndefined();
    expect(needleHashes('café')).toBeUndefined();
    expect(needleHashes('abc')).toHaveLength(1);
  });

  it('trigram - q queries through the store find every record a scan finds (random needles)', async () => {
    const { store } = await tempStore();
    const res = await Promise.all([1, 2, 3].map((s) => store.append(makeRecords(s + 50, 400))));
    const all = res.flatMap((r) => (r.duplicate ? [] : r.records));
    const rand = rng(12);
    for (let k = 0; k < 150; k++) {
      const msg = all[Math.floor(rand() * all.length)].message;
      const start = Math.floor(rand() * msg.length);
      const raw = msg.slice(start, start + 1 + Math.floor(rand() * 14));
      const typed = [...raw].map((ch) => (rand() < 0.5 ? ch.toUpperCase() : ch)).join('');
      const qRegex = new RegExp(escape(typed), 'i');
      const f = { q: typed.toLowerCase(), qRegex };
      const expected = all.filter((r) => qRegex.test(r.message)).map((r) => r.id);
      expect(expected.length).toBeGreaterThan(0);
      expect(collect(store.query(f, { order: 'asc' })).map((r) => r.id), typed).toEqual(expected);
      const svc = { ...f, services: new Set(['auth']), severities: new Set(['INFO' as const]) };
      const expectedSvc = all.filter((r) => r.service === 'auth' && r.severity === 'INFO' && qRegex.test(r.message)).map((r) => r.id).reverse();
      expect(collect(store.query(svc, { order: 'desc' })).map((r) => r.id), typed).toEqual(expectedSvc);
    }
    // A needle that is nowhere: nothing, quickly.
    expect(collect(store.query({ q: 'zzqqxx', qRegex: /zzqqxx/i }, { order: 'asc' }))).toEqual([]);
  });
});

describe('prefilter', () => {
  it('prefilter - context-dependent regexes get no whole-chunk prefilter', async () => {
    const { isContextFree } = await import('../../../hub/store/prefilter.js');
    for (const re of [/^a/, /a$/, /\bword/, /x\B/, /a(?=b)/, /a(?!b)/, /(?<=a)b/, /a/m, /a/y]) expect(isContextFree(re), String(re)).toBe(false);
    for (const re of [/a.b/, /[^a]+x/, /(?:ab)+/, /\^lit\$/, /café/i, /\d{3}/]) expect(isContextFree(re), String(re)).toBe(true);
  });

  it('prefilter - regex and non-ASCII q through the store match a per-record scan exactly', async () => {
    const { store } = await tempStore();
    const res = await Promise.all([1, 2].map((s) => store.append(makeRecords(s + 70, 500))));
    const all = res.flatMap((r) => (r.duplicate ? [] : r.records));
    const cases: Array<{ regex?: RegExp; q?: string; qRegex?: RegExp }> = [
      { regex: /caf. t/ },
      { regex: /[^a-z]日本/ },
      { regex: /^user/ },
      { regex: /#\d+$/ },
      { regex: /\bdb\b/ },
      { regex: /(?:retry ){2}/i },
      { q: 'café', qRegex: /café/i },
      { q: 'naïve café', qRegex: /naïve café/i },
      { q: '日本 #1', qRegex: /日本 #1/i },
    ];
    for (const f of cases) {
      const expected = all.filter((r) => (!f.regex || f.regex.test(r.message)) && (!f.qRegex || f.qRegex.test(r.message))).map((r) => r.id);
      expect(collect(store.query(f, { order: 'asc' })).map((r) => r.id), String(f.regex ?? f.q)).toEqual(expected);
    }
  });
});
