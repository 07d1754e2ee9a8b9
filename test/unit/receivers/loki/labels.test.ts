import { describe, expect, it } from 'vitest';
import { parseLabels } from '../../../../hub/receivers/loki/labels.js';

describe('receivers/loki/labels', () => {
  it('receivers/loki/labels - names, spaces, Go escapes', () => {
    expect(parseLabels('{}')).toEqual({ ok: true, labels: {} });
    expect(parseLabels(' { job = "a" ,host="h-1",msg="say \\"hi\\"\\n\\t\\\\ \\u00e9\\x41\\101" } ')).toEqual({ ok: true, labels: { job: 'a', host: 'h-1', msg: 'say "hi"\n\t\\ éAA' } });
    expect(parseLabels('{service_name="x", k8s.pod="p"}')).toEqual({ ok: true, labels: { service_name: 'x', 'k8s.pod': 'p' } });
  });

  it('receivers/loki/labels - malformed label sets say what is wrong', () => {
    for (const [input, why] of [
      ['job="a"', /must look like/],
      ['{1a="x"}', /bad label name/],
      ['{a}', /expected =/],
      ['{a=b}', /double-quoted/],
      ['{a="unterminated}', /no closing quote/],
      ['{a="x" b="y"}', /expected , or }/],
      ['{a="\\q"}', /bad escape/],
    ] as const) {
      const r = parseLabels(input);
      expect(r.ok, input).toBe(false);
      if (!r.ok) expect(r.message).toMatch(why);
    }
  });
});
