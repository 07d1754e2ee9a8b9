/**
 * Parses a Loki / Prometheus label set as Loki push protobuf carries it: `{a="b", c="d\"e"}`.
 * Names are `[a-zA-Z_][a-zA-Z0-9_.]*`; values are double-quoted with Go escapes (\\ \" \n \t \r
 * \xNN \uNNNN \UNNNNNNNN, octal). Returns a message for a person on malformed input.
 */

export type LabelParse = { ok: true; labels: Record<string, string> } | { ok: false; message: string };

const NAME_START = /[a-zA-Z_]/;
const NAME_CHAR = /[a-zA-Z0-9_.]/;
const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };

function readEscape(s: string, i: number): { ch: string; next: number } | undefined {
  const c = s[i];
  if (c in SIMPLE_ESCAPES) return { ch: SIMPLE_ESCAPES[c], next: i + 1 };
  const hexLen = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
  if (hexLen > 0) {
    const hex = s.slice(i + 1, i + 1 + hexLen);
    if (hex.length !== hexLen || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) return undefined;
    return { ch: String.fromCodePoint(code), next: i + 1 + hexLen };
  }
  if (/[0-7]/.test(c)) {
    const oct = s.slice(i, i + 3);
    if (!/^[0-7]{3}$/.test(oct)) return undefined;
    return { ch: String.fromCharCode(parseInt(oct, 8)), next: i + 3 };
  }
  return undefined;
}

export function parseLabels(input: string): LabelParse {
  const s = input.trim();
  if (s[0] !== '{' || s[s.length - 1] !== '}') return { ok: false, message: `labels must look like {name="value", ...}, got ${JSON.stringify(s.slice(0, 80))}` };
  const labels: Record<string, string> = {};
  let i = 1;
  const end = s.length - 1;
  const skipSpace = () => { while (i < end && /\s/.test(s[i])) i++; };
  skipSpace();
  while (i < end) {
    if (!NAME_START.test(s[i])) return { ok: false, message: `bad label name at offset ${i} of ${JSON.stringify(s.slice(0, 80))}` };
    const nameStart = i;
    while (i < end && NAME_CHAR.test(s[i])) i++;
    const name = s.slice(nameStart, i);
    skipSpace();
    if (s[i] !== '=') return { ok: false, message: `expected = after label "${name}"` };
    i++;
    skipSpace();
    if (s[i] !== '"') return { ok: false, message: `the value of label "${name}" must be double-quoted` };
    i++;
    let value = '';
    for (;;) {
      if (i >= end) return { ok: false, message: `the value of label "${name}" has no closing quote` };
      const c = s[i];
      if (c === '"') { i++; break; }
      if (c === '\\') {
        const esc = readEscape(s, i + 1);
        if (!esc) return { ok: false, message: `bad escape in the value of label "${name}"` };
        value += esc.ch;
        i = esc.next;
      } else {
        value += c;
        i++;
      }
    }
    labels[name] = value;
    skipSpace();
    if (s[i] === ',') { i++; skipSpace(); } else if (i < end) return { ok: false, message: `expected , or } after label "${name}"` };
  }
  return { ok: true, labels };
}
