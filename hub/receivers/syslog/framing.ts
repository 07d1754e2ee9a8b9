/**
 * syslog over TCP framing (RFC 6587), detected once per connection from its first byte: a digit
 * means octet counting (`LEN SP MSG`; rsyslog counts a trailing newline inside LEN, so it is
 * trimmed), anything else newline-delimited. Works on bytes, so a UTF-8 character split across reads stays whole.
 */

export type Framing = 'octet' | 'newline';

export interface FrameSplit {
  messages: Buffer[];
  rest: Buffer;
  /** The framing in use (undefined until the first byte of a frame arrived). */
  framing?: Framing;
  /** Set when the stream cannot go on (bad length, frame over the limit); `messages` before it are good. */
  error?: string;
}

const LF = 0x0a;
const SP = 0x20;

function trimEnd(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && (b[end - 1] === LF || b[end - 1] === 0x0d || b[end - 1] === 0)) end--;
  return b.subarray(0, end);
}

/** Splits complete messages off `buf`; `maxFrameBytes` bounds one message. */
export function splitFrames(buf: Buffer, maxFrameBytes: number, framing?: Framing): FrameSplit {
  const messages: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const c = buf[pos];
    if (c === LF || c === 0x0d || c === SP || c === 0) { pos++; continue; } // stray separators between frames
    framing ??= c >= 0x30 && c <= 0x39 ? 'octet' : 'newline';
    if (framing === 'octet') {
      let i = pos;
      while (i < buf.length && i - pos < 10 && buf[i] >= 0x30 && buf[i] <= 0x39) i++;
      if (i === buf.length) break; // the length is not complete yet
      if (buf[i] !== SP || i === pos) {
        return { messages, rest: buf.subarray(pos), framing, error: `octet counting expected "LENGTH SP" at a frame start, got ${JSON.stringify(buf.toString('latin1', pos, Math.min(buf.length, pos + 16)))}` };
      }
      const len = Number(buf.toString('latin1', pos, i));
      if (len > maxFrameBytes) return { messages, rest: buf.subarray(pos), framing, error: `an octet-counted frame of ${len} bytes is over the ${maxFrameBytes}-byte limit` };
      if (i + 1 + len > buf.length) break;
      const msg = trimEnd(buf.subarray(i + 1, i + 1 + len));
      if (msg.length > 0) messages.push(msg);
      pos = i + 1 + len;
      continue;
    }
    const nl = buf.indexOf(LF, pos);
    if (nl < 0) {
      if (buf.length - pos > maxFrameBytes) return { messages, rest: buf.subarray(pos), framing, error: `a line of over ${maxFrameBytes} bytes has no newline` };
      break;
    }
    const msg = trimEnd(buf.subarray(pos, nl));
    if (msg.length > 0) messages.push(msg);
    pos = nl + 1;
  }
  return { messages, rest: buf.subarray(pos), framing };
}
