/**
 * User-supplied regular expressions (`regex` on GET /logs, /v1/tail, cluster history): RE2
 * syntax and semantics from re2js, so every match runs in time linear in the text (no
 * backtracking: `(a|a)*$` over 5,000 characters costs what `a` does). What RE2 cannot run in
 * linear time (lookaround, backreferences) is refused with a message naming the construct.
 * docs/patterns.md describes the syntax users may send.
 *
 * Speed: re2js scans tens of MB/s, so a pattern first goes through a literal fast path. The
 * longest literal that every match must contain is found from the pattern text; a string without
 * it is rejected by `includes` (or a V8 literal regex for `(?i)`), which runs at memory speed and
 * never backtracks. A pattern that IS a literal is answered by that test alone.
 */
import { RE2JS, RE2JSException } from 're2js';

/** A compiled user pattern. */
export interface Pattern {
  /** The pattern as the user wrote it (a leading `(?i)` included): what cluster history forwards. */
  readonly source: string;
  /** True when some part of `text` matches. */
  test(text: string): boolean;
  /**
   * True when a match in a string implies a match in any string containing it (no anchors,
   * word boundaries or flag groups), so the pattern may be tried on a whole chunk's text.
   */
  readonly contextFree: boolean;
}

export const MAX_PATTERN_CHARS = 1000;

/** Constructs users bring from JavaScript or PCRE that have no linear-time algorithm. */
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…))'],
  [/\\[1-9]|\\k</, 'backreferences (\\1, \\k<name>)'],
  [/\(\?>/, 'atomic groups ((?>…))'],
];

export type PatternCompile = { ok: true; pattern: Pattern } | { ok: false; message: string };

/** Compiles a user pattern; never throws. */
export function compilePattern(input: string): PatternCompile {
  if (input.length > MAX_PATTERN_CHARS) return { ok: false, message: `regex is longer than ${MAX_PATTERN_CHARS} characters` };
  const caseless = input.startsWith('(?i)');
  const body = caseless ? input.slice(4) : input;
  for (const [probe, what] of UNSUPPORTED) {
    if (probe.test(stripClasses(body))) return { ok: false, message: `regex uses ${what}, which cannot run in linear time; patterns use RE2 syntax (docs/patterns.md)` };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(body, caseless ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    const text = err instanceof RE2JSException ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    return { ok: false, message: `invalid regex: ${text} (patterns use RE2 syntax, docs/patterns.md)` };
  }
  const words = literalAlternatives(body);
  if (words) return { ok: true, pattern: { source: input, test: literalTest(words, caseless), contextFree: true } };
  const need = requiredLiteral(body);
  const has = need ? literalTest([need.text], caseless) : undefined;
  const test = need?.exact && has ? has : has ? (s: string) => has(s) && re.test(s) : (s: string) => re.test(s);
  return { ok: true, pattern: { source: input, test, contextFree: isContextFree(body) } };
}

/**
 * A test for "contains one of these literals": `includes` for one case-sensitive word, else a V8
 * regex of escaped alternatives, which has no quantifier and so costs at most the words' total
 * length per position. `iu` folds case the way RE2 does (Unicode simple case folding).
 */
function literalTest(words: string[], caseless: boolean): (s: string) => boolean {
  if (words.length === 1 && !caseless) return (s) => s.includes(words[0]);
  const re = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), caseless ? 'iu' : 'u');
  return (s) => re.test(s);
}

/** The words of a pattern made only of literals and top-level `|` (`timeout|refused`). */
export function literalAlternatives(src: string): string[] | undefined {
  const words: string[] = [''];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '|') words.push('');
    else if (c === '\\' && PUNCTUATION_ESCAPE.test(src[i + 1] ?? '')) words[words.length - 1] += src[++i];
    else if ('\\.^$*+?{}()[]'.includes(c)) return undefined;
    else words[words.length - 1] += c;
  }
  return words.length > 1 && words.every((w) => w !== '') ? words : undefined;
}

/** Replaces character classes by a placeholder so scans for syntax do not look inside them. */
function stripClasses(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '\\') {
      out += src.slice(i, i + 2);
      i++;
    } else if (src[i] === '[') {
      i = classEnd(src, i);
      out += '_';
    } else out += src[i];
  }
  return out;
}

/** Index of the `]` closing the class that opens at `start` (the last index when unclosed). */
function classEnd(src: string, start: number): number {
  let i = start + 1;
  if (src[i] === '^') i++;
  if (src[i] === ']') i++; // a leading ] is a literal
  for (; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === '[' && src[i + 1] === ':') {
      const close = src.indexOf(':]', i + 2);
      if (close > 0) i = close + 1;
    } else if (src[i] === ']') return i;
  }
  return src.length - 1;
}

/** Index of the `)` closing the group that opens at `start`. */
function groupEnd(src: string, start: number): number {
  let depth = 0;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(src, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return src.length - 1;
}

const PUNCTUATION_ESCAPE = /[!-/:-@[-`{-~]/;

/**
 * The longest run of literal characters that every match contains, scanning only the top level
 * (groups, classes and escapes other than escaped punctuation end a run). `exact` when the whole
 * pattern is that literal. Undefined when a top-level `|` or a flag group makes nothing required.
 */
export function requiredLiteral(src: string): { text: string; exact: boolean } | undefined {
  const bare = stripClasses(src);
  if (/\(\?[a-zA-Z-]*[):]/.test(bare.replace(/\(\?:/g, '('))) return undefined; // flags change meaning
  let best = '';
  let run = '';
  let breaks = 0;
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
    breaks++;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '|') return undefined;
    if (c === '(' || c === '[') {
      i = c === '(' ? groupEnd(src, i) : classEnd(src, i);
      i += quantifierAt(src, i + 1)?.length ?? 0;
      end();
      continue;
    }
    let literal: string | undefined;
    if (c === '\\') {
      const n = src[i + 1];
      i++;
      if (n !== undefined && PUNCTUATION_ESCAPE.test(n)) literal = n;
    } else if (c !== '.' && c !== '^' && c !== '$' && c !== '*' && c !== '+' && c !== '?' && c !== '{') literal = c;
    const after = quantifierAt(src, i + 1);
    if (literal === undefined) {
      end();
    } else if (after === undefined) {
      run += literal;
    } else {
      if (after.min > 0) run += literal; // required once; its repeats are not
      end();
    }
    if (after) i += after.length;
  }
  end();
  if (best.length === 0) return undefined;
  return { text: best, exact: breaks === 1 && best.length === src.length };
}

/** The quantifier starting at `i` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each maybe lazy). */
function quantifierAt(src: string, i: number): { min: number; length: number } | undefined {
  const c = src[i];
  let min: number;
  let length: number;
  if (c === '*' || c === '?') [min, length] = [0, 1];
  else if (c === '+') [min, length] = [1, 1];
  else if (c === '{') {
    const m = /^\{(\d+)(,\d*)?\}/.exec(src.slice(i, i + 16));
    if (!m) return undefined;
    [min, length] = [Number(m[1]), m[0].length];
  } else return undefined;
  if (src[i + length] === '?') length++;
  return { min, length };
}

/** No anchors, word boundaries or flag groups outside character classes. */
function isContextFree(src: string): boolean {
  const bare = stripClasses(src);
  return !/[$^]|\\[bBAz]|\(\?[^:]/.test(bare.replace(/\\[^bBAz]/g, '__'));
}
