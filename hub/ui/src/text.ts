/**
 * How record text is shown: control characters made visible (a log line may carry terminal
 * escapes or bidi overrides that would otherwise restyle or reorder what the reader sees), a
 * stable colour per service, and times in UTC like the API.
 */

// C0 except tab and newline, DEL, C1, and the Unicode bidi controls.
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\r': '\\r', '\u001b': '\\e', '\u0000': '\\0' };

/** `s` with control characters as visible escapes (`\e`, `\r`, `\x07`, `\u202e`); newlines and tabs kept. */
export function visible(s: string): string {
  return s.replace(INVISIBLE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const colourCache = new Map<string, string>();

/** A colour for a service name that is the same on every load and every machine (FNV-1a → hue). */
export function serviceColour(service: string): string {
  let c = colourCache.get(service);
  if (c !== undefined) return c;
  let h = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) {
    h ^= service.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  c = `hsl(${h % 360} 65% 62%)`;
  if (colourCache.size < 10_000) colourCache.set(service, c);
  return c;
}

/** `2026-12-01 21:04:05.123` (UTC) from an ISO string; the input itself when it is not one. */
export function shortTime(iso: string): string {
  return iso.length >= 23 && iso[10] === 'T' ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : iso;
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

let firstRecordsMarked = false;

/** Marks when records were first drawn after the page loaded (bench/e2e/web_ui.ts reads it). */
export function markFirstRecords(): void {
  if (firstRecordsMarked) return;
  firstRecordsMarked = true;
  performance.mark('logwire:first-records');
}
