/**
 * User-pattern scan speed (hub/filter/pattern.ts): the hub's compiled `regex` against raw re2js
 * and V8's backtracking RegExp, over 20,000 ~120-byte log lines (2.4 MB) per iteration.
 * MB/s = hz × 2.4. Simple patterns go through the literal fast path; the others show what
 * re2js costs when every line must be matched by the automaton.
 *
 * Run:  npx vitest bench bench/pattern.bench.ts
 * Not part of the test suite (`vitest run` ignores it). Give the hardware with every figure.
 */
import { bench, describe } from 'vitest';
import { RE2JS } from 're2js';
import { compilePattern } from '../hub/protocol/pattern.js';
import { prng } from '../shipper/simulate.js';

const WORDS = ['GET', '/api/v1/users', '200', 'took', 'ms', 'user', 'id', 'payment', 'declined', 'db', 'connection', 'reset', 'retry', 'ok'];
const next = prng(42);
const LINES: string[] = [];
for (let i = 0; i < 20_000; i++) {
  let s = '';
  while (s.length < 120) s += `${WORDS[Math.floor(next() * WORDS.length)]} `;
  LINES.push(s);
}

function scan(test: (s: string) => boolean): number {
  let n = 0;
  for (const s of LINES) if (test(s)) n++;
  return n;
}

for (const src of ['timeout', '(?i)TIMEOUT', 'user id \\d+ timeout', 'payment.*declined', 'declined|reset']) {
  describe(`pattern - ${src}`, () => {
    const hub = compilePattern(src);
    if (!hub.ok) throw new Error(hub.message);
    const caseless = src.startsWith('(?i)');
    const re2 = RE2JS.compile(caseless ? src.slice(4) : src, caseless ? RE2JS.CASE_INSENSITIVE : 0);
    const v8 = new RegExp(caseless ? src.slice(4) : src, caseless ? 'i' : '');
    bench('hub compilePattern', () => { scan((s) => hub.pattern.test(s)); });
    bench('re2js alone', () => { scan((s) => re2.test(s)); });
    bench('V8 RegExp (backtracking, unsafe)', () => { scan((s) => v8.test(s)); });
  });
}
