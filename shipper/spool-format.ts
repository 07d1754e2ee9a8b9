/**
 * The spool's on-disk format (see spool.ts for what the spool guarantees).
 *
 * Version 2: append-only segment files `<first seq, 16 digits>.seg`, each
 *   "LWS2" | entry*
 *   entry = u32 BE payload length | u32 BE CRC-32 of payload | payload
 *   payload = u32 BE header length | header JSON {seq, lines, positions: FilePosition[]} | frame
 * where frame is the encoded MessagePack batch frame exactly as sent. A torn or damaged entry
 * (short, bad CRC, bad header) ends a segment: it and anything after it were never reported as
 * spooled.
 *
 * Version 1 (one `<seq>.batch` file per batch: "LWS1" | u32 BE header length | header | frame)
 * is still read, so an upgrade loses nothing.
 */
import { crc32 } from 'node:zlib';
import type { FilePosition } from './checkpoint.js';

const MAGIC_V1 = Buffer.from('LWS1');
export const MAGIC_V2 = Buffer.from('LWS2');

export const segName = (seq: number): string => `${String(seq).padStart(16, '0')}.seg`;
const batchName = (seq: number): string => `${String(seq).padStart(16, '0')}.batch`;

/** One entry as read back from disk. */
export interface ParsedEntry {
  seq: number;
  lines: number;
  positions: FilePosition[];
  frameOffset: number;
  frameLength: number;
  /** Bytes the entry takes on disk. */
  size: number;
}

/** The bytes in front of a frame (length, CRC, header); `frameAt` is the frame's offset in the entry. */
export function encodeEntry(seq: number, lines: number, positions: FilePosition[], frame: Buffer): { head: Buffer; frameAt: number } {
  const header = Buffer.from(JSON.stringify({ seq, lines, positions }));
  const head = Buffer.allocUnsafe(12 + header.length);
  const payloadLen = 4 + header.length + frame.length;
  head.writeUInt32BE(payloadLen, 0);
  head.writeUInt32BE(header.length, 8);
  header.copy(head, 12);
  head.writeUInt32BE(crc32(frame, crc32(head.subarray(8))), 4);
  return { head, frameAt: head.length };
}

/** Parses the entries of a v2 segment; stops at the first torn or damaged one (`clean` false). */
export function parseSegment(buf: Buffer): { entries: ParsedEntry[]; clean: boolean } {
  const entries: ParsedEntry[] = [];
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC_V2)) return { entries, clean: buf.length === 0 };
  let at = 4;
  while (at < buf.length) {
    if (at + 12 > buf.length) return { entries, clean: false };
    const len = buf.readUInt32BE(at);
    const crc = buf.readUInt32BE(at + 4);
    if (len < 4 || at + 8 + len > buf.length) return { entries, clean: false };
    const payload = buf.subarray(at + 8, at + 8 + len);
    if (crc32(payload) !== crc) return { entries, clean: false };
    const hlen = payload.readUInt32BE(0);
    if (4 + hlen > len) return { entries, clean: false };
    try {
      const h = JSON.parse(payload.subarray(4, 4 + hlen).toString()) as { seq: number; lines: number; positions: FilePosition[] };
      entries.push({ ...h, frameOffset: at + 12 + hlen, frameLength: len - 4 - hlen, size: 8 + len });
    } catch {
      return { entries, clean: false };
    }
    at += 8 + len;
  }
  return { entries, clean: true };
}

/** Parses a v1 batch file named `name`; undefined when damaged. */
export function parseV1(buf: Buffer, name: string): ParsedEntry | undefined {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC_V1)) return undefined;
  const hlen = buf.readUInt32BE(4);
  if (8 + hlen > buf.length) return undefined;
  try {
    const h = JSON.parse(buf.subarray(8, 8 + hlen).toString()) as { seq: number; lines: number; positions: FilePosition[] };
    if (batchName(h.seq) !== name) return undefined;
    return { ...h, frameOffset: 8 + hlen, frameLength: buf.length - 8 - hlen, size: buf.length };
  } catch {
    return undefined;
  }
}
