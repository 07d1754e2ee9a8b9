import { describe, expect, it } from 'vitest';
import { RE2JS } from 're2js';
import { compilePattern, literalAlternatives, requiredLiteral } from '../../../hub/protocol/pattern.js';

function compiled(src: string) {
  const c = compilePattern(src);
  if (!c.ok) throw new Error(c.message);
  return c.pattern;
}

describe('pattern', () => {
  it('pattern - patterns that backtrack exponentially in V8 run in linear time', () => {
    const cases: Array<[string, string, boolean]> = [
      ['(a|a)*$', `${'a'.repeat(5000)}b`, true], // the empty match at the end, found without backtracking
      ['(a|a)*b$', `${'a'.repeat(5000)}c`, false],
      ['.*.*.*.*=', 'x'.repeat(5000), false],
      ['[a-z]+[a-z]+[a-z]+[a-z]+!', 'a'.repeat(5000), false],
      ['\\s*\\s*\\s*x$', `${' '.repeat(5000)}y`, false],
      ['(a+)+$', `${'a'.repeat(5000)}b`, false],
      ['(a+)+c', `${'a'.repeat(5000)}b`, false],
    ];
    for (const [src, text, expected] of cases) {
      const p = compiled(src);
      const t0 = performance.now();
      expect(p.test(text), src).toBe(expected);
      expect(performance.now() - t0).toBeLessThan(500);
    }
  });

  it('pattern - a leading (?i) makes the pattern case-insensitive', () => {
    expect(compiled('(?i)declined').test('card DECLINED')).toBe(true);
    expect(compiled('declined').test('card DECLINED')).toBe(false);
    expect(compiled('(?i)user \\d+ DECLINED').test('User 42 declined')).toBe(true);
  });

  it('pattern - constructs RE2 cannot run are refused, naming the construct', () => {
    const refuse = (src: string, what: RegExp) => {
      const c = compilePattern(src);
      expect(c.ok).toBe(false);
      if (!c.ok) expect(c.message).toMatch(what);
    };
    refuse('foo(?=bar)', /lookahead/);
    refuse('(?<!x)y', /lookbehind/);
    refuse('(a)\\1', /backreferences/);
    refuse('(?>a+)b', /atomic/);
    refuse('a**', /\*\*/);
    refuse('(', /missing closing \)/);
    refuse('x'.repeat(2000), /longer than/);
    expect(compilePattern('[(?=]x').ok).toBe(true); // inside a class it is just characters
  });

  it('pattern - the required literal is one that every match contains', () => {
    expect(requiredLiteral('timeout')).toEqual({ text: 'timeout', exact: true });
    expect(requiredLiteral('user \\d+ declined')).toEqual({ text: ' declined', exact: false });
    expect(requiredLiteral('colou?r')).toEqual({ text: 'colo', exact: false });
    expect(requiredLiteral('ab+c')?.text).toBe('ab');
    expect(requiredLiteral('a\\.b.*x')?.text).toBe('a.b');
    expect(requiredLiteral('foo|bar')).toBeUndefined();
    expect(requiredLiteral('x(?i)abc')).toBeUndefined();
    expect(requiredLiteral('(timeout|error) in db')?.text).toBe(' in db');
    expect(literalAlternatives('timeout|refused|a\\.b')).toEqual(['timeout', 'refused', 'a.b']);
    expect(literalAlternatives('timeout|re.used')).toBeUndefined();
    expect(literalAlternatives('timeout|')).toBeUndefined();
  });

  it('pattern - answers exactly what re2js answers (seeded random patterns and texts)', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const atoms = ['a', 'b', 'ab', 'x', '.', '\\d', '[ab]', '(a|b)', '\\.', 'K', '\\s', 'é', '|', 'ab|', '|K'];
    const quants = ['', '', '', '', '', '*', '+', '?', '{2}', '{0,2}', '+?'];
    const alphabet = 'abxK.1 é\u212a';
    for (let n = 0; n < 3000; n++) {
      let src = rnd(4) === 0 ? '(?i)' : '';
      const len = 1 + rnd(5);
      for (let k = 0; k < len; k++) src += atoms[rnd(atoms.length)] + quants[rnd(quants.length)];
      let text = '';
      const tl = rnd(12);
      for (let k = 0; k < tl; k++) text += alphabet[rnd(alphabet.length)];
      const caseless = src.startsWith('(?i)');
      let ref: RE2JS;
      try {
        ref = RE2JS.compile(caseless ? src.slice(4) : src, caseless ? RE2JS.CASE_INSENSITIVE : 0);
      } catch {
        expect(compilePattern(src).ok, src).toBe(false);
        continue;
      }
      expect(compiled(src).test(text), `${src} on ${JSON.stringify(text)}`).toBe(ref.test(text));
    }
  });

  it('pattern - anchored, word-boundary and flag-group patterns are not context-free', () => {
    expect(compiled('timeout \\d+').contextFree).toBe(true);
    expect(compiled('(?i)timeout').contextFree).toBe(true);
    expect(compiled('[$^]x').contextFree).toBe(true);
    for (const src of ['^x', 'x$', '\\bx', 'a\\Bb', '\\Ax', 'x\\z', 'a(?s).b', '(?m)^x']) expect(compiled(src).contextFree, src).toBe(false);
  });
});
