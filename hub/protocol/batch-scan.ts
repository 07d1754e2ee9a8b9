/**
 * Reads a batch frame's records in place, without building objects: the ingest fast path for
 * records in the shape shippers send (docs/protocol.md "batch"). For each record it reports
 * either a *plain* record — byte ranges of its strings, its numeric event time, the raw
 * MessagePack bytes of its `fields` — or the byte range of a record to decode the ordinary way
 * (aliases, unknown keys, non-canonical severities, anything unusual). The scan never decides
 * validity beyond that split: labels, times and limits are checked by its caller.
 *
 * A plain record is a map whose keys are all among `ts` (a number), `service`, `severity` (one
 * of the six canonical names), `message`, `host`, `file` (strings), `fields` (a map of string keys
 * holding plain values, at most MAX_FIELDS_DEPTH deep, no extension types, strings valid UTF-8)
 * and `truncated` (a boolean), each at most once.
 */
import { isUtf8 } from 'node:buffer';
import { MAX_FIELDS_DEPTH } from './record.js';

/** One record's parts, as byte offsets into the frame (reused from record to record). */
export interface PlainRecord {
  /** The record's own byte range. */
  start: number;
  end: number;
  msgStart: number;
  msgEnd: number;
  /** -1 when absent. */
  svcStart: number;
  svcEnd: number;
  sevStart: number;
  sevEnd: number;
  hostStart: number;
  hostEnd: number;
  fileStart: number;
  fileEnd: number;
  fieldsStart: number;
  fieldsEnd: number;
  /** NaN when absent. */
  ts: number;
  truncated: boolean;
}

export interface BatchVisitor {
  plain(r: PlainRecord, index: number): void;
  /** A record to decode and validate the ordinary way: bytes [start, end) of the frame. */
  other(start: number, end: number, index: number): void;
}

/** A batch frame whose structure is sound: its seq and where each record starts and ends. */
export interface ScannedBatch {
  seq: number;
  count: number;
  /** count + 1 offsets: record i is bytes [bounds[i], bounds[i + 1]). */
  bounds: Uint32Array;
}

class Bail extends Error {}
const BAIL = new Bail();

/**
 * Reads a frame's head and record boundaries; undefined when it is not a batch in the usual key
 * order (`type`, `seq`, then `records`, an array ending exactly at the end of the frame) — decode
 * it the ordinary way, which also reports what is wrong.
 */
export function scanBatch(b: Uint8Array): ScannedBatch | undefined {
  try {
    const c = { pos: 0 };
    if (mapLength(b, c) !== 3) return undefined;
    if (!strIs(b, c, 'type') || !strIs(b, c, 'batch')) return undefined;
    if (!strIs(b, c, 'seq')) return undefined;
    const seq = readNumber(b, c);
    if (!strIs(b, c, 'records')) return undefined;
    const count = arrayLength(b, c);
    if (count > b.length) return undefined;
    const bounds = new Uint32Array(count + 1);
    for (let i = 0; i < count; i++) {
      bounds[i] = c.pos;
      skip(b, c, 0, Infinity, false);
      if (c.pos > b.length) return undefined;
    }
    if (c.pos !== b.length) return undefined;
    bounds[count] = c.pos;
    return { seq, count, bounds };
  } catch (err) {
    if (err === BAIL || err instanceof RangeError) return undefined;
    throw err;
  }
}

/** Visits the records of a scanned batch, in order. */
export function visitRecords(b: Uint8Array, batch: ScannedBatch, visit: BatchVisitor): void {
  const r = newPlainRecord();
  for (let i = 0; i < batch.count; i++) {
    const start = batch.bounds[i];
    const end = batch.bounds[i + 1];
    if (readPlain(b, start, end, r)) visit.plain(r, i);
    else visit.other(start, end, i);
  }
}

function newPlainRecord(): PlainRecord {
  return { start: 0, end: 0, msgStart: -1, msgEnd: -1, svcStart: -1, svcEnd: -1, sevStart: -1, sevEnd: -1, hostStart: -1, hostEnd: -1, fileStart: -1, fileEnd: -1, fieldsStart: -1, fieldsEnd: -1, ts: NaN, truncated: false };
}

/** Fills `r` from the record at [start, end); false when it is not plain. */
function readPlain(b: Uint8Array, start: number, end: number, r: PlainRecord): boolean {
  r.start = start;
  r.end = end;
  r.msgStart = r.svcStart = r.sevStart = r.hostStart = r.fileStart = r.fieldsStart = -1;
  r.ts = NaN;
  r.truncated = false;
  const c = { pos: start };
  try {
    const keys = mapLength(b, c);
    let seen = 0;
    for (let k = 0; k < keys; k++) {
      const bit = recordKey(b, c);
      if (bit === 0 || seen & bit) return false;
      seen |= bit;
      if (bit === KEY_TS) r.ts = readNumber(b, c);
      else if (bit === KEY_TRUNCATED) r.truncated = readBool(b, c);
      else if (bit === KEY_FIELDS) {
        if (b[c.pos] === 0xc0) c.pos++;
        else {
          r.fieldsStart = c.pos;
          if (!isMapHead(b[c.pos]) || !skipPlain(b, c, 1)) return false;
          r.fieldsEnd = c.pos;
        }
      } else {
        const len = strLength(b, c);
        const s = c.pos;
        c.pos += len;
        if (c.pos > end) return false;
        if (bit === KEY_MESSAGE) {
          r.msgStart = s;
          r.msgEnd = c.pos;
        } else if (bit === KEY_SERVICE) {
          r.svcStart = s;
          r.svcEnd = c.pos;
        } else if (bit === KEY_SEVERITY) {
          if (!canonicalSeverity(b, s, c.pos)) return false;
          r.sevStart = s;
          r.sevEnd = c.pos;
        } else if (bit === KEY_HOST) {
          r.hostStart = s;
          r.hostEnd = c.pos;
        } else {
          r.fileStart = s;
          r.fileEnd = c.pos;
        }
      }
    }
    return c.pos === end && r.msgStart >= 0 && asciiOrUtf8(b, r.msgStart, r.msgEnd);
  } catch (err) {
    if (err === BAIL || err instanceof RangeError) return false;
    throw err;
  }
}

const KEY_TS = 1, KEY_SERVICE = 2, KEY_SEVERITY = 4, KEY_MESSAGE = 8, KEY_HOST = 16, KEY_FILE = 32, KEY_FIELDS = 64, KEY_TRUNCATED = 128;
const RECORD_KEYS: Array<[string, number]> = [['ts', KEY_TS], ['service', KEY_SERVICE], ['severity', KEY_SEVERITY], ['message', KEY_MESSAGE], ['host', KEY_HOST], ['file', KEY_FILE], ['fields', KEY_FIELDS], ['truncated', KEY_TRUNCATED]];
const KEY_BYTES = RECORD_KEYS.map(([k, bit]) => [Buffer.from(k), bit] as const);

/** The bit of a known record key (a fixstr), or 0. */
function recordKey(b: Uint8Array, c: { pos: number }): number {
  const h = b[c.pos];
  if (h < 0xa0 || h > 0xbf) return 0;
  const len = h & 0x1f;
  const s = c.pos + 1;
  for (const [k, bit] of KEY_BYTES) {
    if (k.length !== len) continue;
    let same = true;
    for (let i = 0; i < len && same; i++) same = b[s + i] === k[i];
    if (same) {
      c.pos = s + len;
      return bit;
    }
  }
  return 0;
}

const CANONICAL = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].map((s) => Buffer.from(s));

function canonicalSeverity(b: Uint8Array, s: number, e: number): boolean {
  for (const k of CANONICAL) {
    if (k.length !== e - s) continue;
    let same = true;
    for (let i = 0; i < k.length && same; i++) same = b[s + i] === k[i];
    if (same) return true;
  }
  return false;
}

function asciiOrUtf8(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] >= 0x80) return isUtf8(b.subarray(s, e));
  return true;
}

function isMapHead(h: number): boolean {
  return (h >= 0x80 && h <= 0x8f) || h === 0xde || h === 0xdf;
}

function u16(b: Uint8Array, p: number): number {
  if (p + 2 > b.length) throw BAIL;
  return (b[p] << 8) | b[p + 1];
}

function u32(b: Uint8Array, p: number): number {
  if (p + 4 > b.length) throw BAIL;
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Length of a map (fix 0x80, 0xde, 0xdf) or array (fix 0x90, 0xdc, 0xdd) head. */
function containerLength(b: Uint8Array, c: { pos: number }, fix: number, wide16: number): number {
  const h = b[c.pos++];
  if (h >= fix && h <= fix + 0x0f) return h & 0x0f;
  if (h === wide16) return (c.pos += 2), u16(b, c.pos - 2);
  if (h === wide16 + 1) return (c.pos += 4), u32(b, c.pos - 4);
  throw BAIL;
}

const mapLength = (b: Uint8Array, c: { pos: number }) => containerLength(b, c, 0x80, 0xde);
const arrayLength = (b: Uint8Array, c: { pos: number }) => containerLength(b, c, 0x90, 0xdc);

function strLength(b: Uint8Array, c: { pos: number }): number {
  const h = b[c.pos++];
  if (h >= 0xa0 && h <= 0xbf) return h & 0x1f;
  if (h === 0xd9) {
    if (c.pos >= b.length) throw BAIL;
    return b[c.pos++];
  }
  if (h === 0xda) return (c.pos += 2), u16(b, c.pos - 2);
  if (h === 0xdb) return (c.pos += 4), u32(b, c.pos - 4);
  throw BAIL;
}

function strIs(b: Uint8Array, c: { pos: number }, want: string): boolean {
  const len = strLength(b, c);
  if (len !== want.length || c.pos + len > b.length) return false;
  for (let i = 0; i < len; i++) if (b[c.pos + i] !== want.charCodeAt(i)) return false;
  c.pos += len;
  return true;
}

function readBool(b: Uint8Array, c: { pos: number }): boolean {
  const h = b[c.pos++];
  if (h === 0xc3) return true;
  if (h === 0xc2) return false;
  throw BAIL;
}

// Scratch for big-endian floats: reading through a shared array allocates nothing per value.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);

function readFloat(b: Uint8Array, p: number, width: 4 | 8): number {
  const bytes = width === 8 ? f64Bytes : f32Bytes;
  for (let i = 0; i < width; i++) bytes[width - 1 - i] = b[p + i];
  return width === 8 ? f64[0] : f32[0];
}

/** A MessagePack number as a JS number (64-bit integers as msgpackr's int64AsType 'number'). */
function readNumber(b: Uint8Array, c: { pos: number }): number {
  const h = b[c.pos++];
  if (h <= 0x7f) return h;
  if (h >= 0xe0) return h - 0x100;
  const p = c.pos;
  const need = h === 0xcc || h === 0xd0 ? 1 : h === 0xcd || h === 0xd1 ? 2 : h === 0xce || h === 0xd2 || h === 0xca ? 4 : h === 0xcf || h === 0xd3 || h === 0xcb ? 8 : 0;
  if (need === 0 || p + need > b.length) throw BAIL;
  c.pos += need;
  switch (h) {
    case 0xcc: return b[p];
    case 0xcd: return u16(b, p);
    case 0xce: return u32(b, p);
    case 0xcf: return u32(b, p) * 2 ** 32 + u32(b, p + 4);
    case 0xd0: return (b[p] << 24) >> 24;
    case 0xd1: return (u16(b, p) << 16) >> 16;
    case 0xd2: return u32(b, p) | 0;
    case 0xd3: return (u32(b, p) | 0) * 2 ** 32 + u32(b, p + 4);
    case 0xca: return readFloat(b, p, 4);
    default: return readFloat(b, p, 8);
  }
}

/** Skips a `fields` value: plain values only, string keys, valid UTF-8, bounded depth. */
function skipPlain(b: Uint8Array, c: { pos: number }, depth: number): boolean {
  skip(b, c, depth, MAX_FIELDS_DEPTH, true);
  return c.pos <= b.length;
}

function skip(b: Uint8Array, c: { pos: number }, depth: number, maxDepth: number, plain: boolean): void {
  if (c.pos >= b.length) throw BAIL;
  const h = b[c.pos];
  if (h <= 0x7f || h >= 0xe0 || h === 0xc0 || h === 0xc2 || h === 0xc3) return void c.pos++;
  if ((h >= 0xa0 && h <= 0xbf) || (h >= 0xd9 && h <= 0xdb)) {
    const len = strLength(b, c);
    const s = c.pos;
    c.pos += len;
    if (c.pos > b.length || (plain && !asciiOrUtf8(b, s, c.pos))) throw BAIL;
    return;
  }
  if (isMapHead(h) || (h >= 0x90 && h <= 0x9f) || h === 0xdc || h === 0xdd) {
    if (depth > maxDepth) throw BAIL;
    const isMap = isMapHead(h);
    const n = isMap ? mapLength(b, c) : arrayLength(b, c);
    for (let i = 0; i < n; i++) {
      if (isMap) {
        if (plain && !((b[c.pos] >= 0xa0 && b[c.pos] <= 0xbf) || (b[c.pos] >= 0xd9 && b[c.pos] <= 0xdb))) throw BAIL;
        skip(b, c, depth + 1, maxDepth, plain);
      }
      skip(b, c, depth + 1, maxDepth, plain);
    }
    return;
  }
  if (h >= 0xc4 && h <= 0xc6) {
    c.pos++;
    const len = h === 0xc4 ? b[c.pos++] : h === 0xc5 ? ((c.pos += 2), u16(b, c.pos - 2)) : ((c.pos += 4), u32(b, c.pos - 4));
    c.pos += len;
    return;
  }
  if (plain) {
    if (h === 0xca || h === 0xcb || (h >= 0xcc && h <= 0xd3)) return void readNumber(b, c);
    throw BAIL; // extension types: decode the ordinary way
  }
  if (h >= 0xca && h <= 0xd3) return void readNumber(b, c);
  if (h >= 0xd4 && h <= 0xd8) return void (c.pos += 2 + (1 << (h - 0xd4)));
  if (h >= 0xc7 && h <= 0xc9) {
    c.pos++;
    const len = h === 0xc7 ? b[c.pos++] : h === 0xc8 ? ((c.pos += 2), u16(b, c.pos - 2)) : ((c.pos += 4), u32(b, c.pos - 4));
    c.pos += 1 + len;
    return;
  }
  throw BAIL; // 0xc1: never used
}
