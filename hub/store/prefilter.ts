/**
 * Whole-chunk text prefilters: before any record of a chunk is decoded, test the `q` / `regex`
 * against the chunk's bytes decoded as ONE string. A chunk that fails cannot hold a match and is
 * skipped; one that passes is checked record by record (so false positives cost only time).
 *
 * Why no false negatives:
 * - ASCII `q` on a latin1 decoding: every byte becomes one char, so a message's ASCII bytes appear
 *   verbatim; with the `i` flag outside unicode mode, chars ≥ 128 never case-fold to ASCII.
 * - Otherwise a UTF-8 decoding: every message is well-formed UTF-8 that starts with a lead or ASCII
 *   byte, so the bytes around it (varints, flags) can only turn into U+FFFD of their own and each
 *   message survives as an exact substring. A regex that matches a message therefore matches the
 *   whole text — unless it looks at context (anchors, word boundaries, flag groups), which is why
 *   such patterns get no prefilter (`Pattern.contextFree`).
 */
import type { RecordFilter } from '../filter/filter.js';

const ASCII = /^[\x00-\x7f]*$/;

/** True when the `q` matcher `re` matching a string implies it matches any string containing it. */
export function isContextFree(re: RegExp): boolean {
  if (/[gymsdv]/.test(re.flags.replace(/[iu]/g, ''))) return false;
  const src = re.source;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n === 'b' || n === 'B') return false;
      i++;
    } else if (c === '$' || c === '(' && src[i + 1] === '?') {
      if (c === '(' && src[i + 2] === ':') continue; // non-capturing group is fine
      return false;
    } else if (c === '^' && src[i - 1] !== '[') {
      return false;
    }
  }
  return true;
}

/** A test on a chunk's raw value, or undefined when the filter has no text part that allows one. */
export function chunkTextTest(f: RecordFilter): ((value: Buffer) => boolean) | undefined {
  const q = f.qRegex;
  const re = f.regex?.contextFree ? f.regex : undefined;
  const qLatin1 = q && ASCII.test(q.source) ? q : undefined;
  const utf8: Array<{ test(text: string): boolean }> = [];
  if (q && !qLatin1 && isContextFree(q)) utf8.push(q);
  if (re) utf8.push(re);
  if (!qLatin1 && utf8.length === 0) return undefined;
  return (value) => {
    if (qLatin1 && !qLatin1.test(value.toString('latin1'))) return false;
    if (utf8.length === 0) return true;
    const text = value.toString('utf8');
    return utf8.every((r) => r.test(text));
  };
}
