/**
 * One open file being followed: reading it in chunks and splitting the chunks into lines.
 *
 * Offsets are byte positions just past a newline; an unfinished last line is carried over to
 * the next read (it is emitted as is only when its file is rotated away or truncated, see
 * `flushCarry`). A line longer than `maxLineBytes` is cut there and flagged truncated; the rest
 * of it is skipped as it comes. CRLF line ends are accepted.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { fingerprint, FP_MAX, type FileIdent, type HeldFile } from './file-identity.js';

/** What the tailer's users see of one open file. */
export interface TailedFile {
  readonly source: number;
  path: string;
  ident: FileIdent;
  /** Next byte to read. */
  readPos: number;
  /** Size seen at the last stat. */
  size: number;
}

/** Receives each complete line (without its newline) and the offset just past it. */
export type LineHandler = (file: TailedFile, line: string, endOffset: number, truncated: boolean, nowMs: number) => void;

/** A chunk buffer shared by every file of one tailer (reads are sequential). */
export interface ChunkBuffer {
  buf: Buffer;
}

const dropBrokenChar = (s: string): string => (s.endsWith('\uFFFD') ? s.slice(0, -1) : s);

export class OpenFile implements TailedFile, HeldFile {
  readonly dev: number;
  readonly ino: number;
  size: number;
  mtimeMs: number;
  /** When a rotated file started draining (0 while it is at its path). */
  drainSince = 0;
  lastGrowth = Date.now();
  head: Buffer | null = null;
  /** The unfinished last line of the previous chunk. */
  private carry: Buffer | null = null;
  /** Head of an over-long line whose newline has not come yet. */
  private longHead: string | null = null;

  constructor(
    readonly source: number,
    public path: string,
    readonly fh: FileHandle,
    st: Stats,
    public ident: FileIdent,
    public readPos: number,
    private readonly maxLineBytes: number,
  ) {
    this.dev = st.dev;
    this.ino = st.ino;
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
  }

  /**
   * Reads from readPos to the current end, emitting complete lines. `gate` is awaited before
   * each chunk (backpressure); `stopped` ends reading early (shutdown). Returns bytes read.
   */
  async readToEnd(chunk: ChunkBuffer, gate: () => Promise<void> | undefined, stopped: () => boolean, onLine: LineHandler): Promise<number> {
    let total = 0;
    for (;;) {
      const g = gate();
      if (g) await g;
      if (stopped()) return total;
      const { buf } = chunk;
      // The unfinished line of the last chunk goes in front of the next one, in the same buffer
      // (no concatenated copy per chunk; it is at most maxLineBytes, the buffer twice that).
      const carryLen = this.carry ? this.carry.length : 0;
      if (this.carry) this.carry.copy(buf, 0);
      const { bytesRead } = await this.fh.read(buf, carryLen, buf.length - carryLen, this.readPos);
      if (bytesRead === 0) break;
      // Lines carry the fingerprint, so it must cover what they were read from before they go out.
      if (this.ident.fpLen < FP_MAX && this.readPos + bytesRead > this.ident.fpLen) await this.refreshFingerprint(this.readPos + bytesRead);
      const data = buf.subarray(0, carryLen + bytesRead);
      const base = this.readPos - carryLen;
      if (base === 0 && this.head === null) this.keepHead(data);
      this.keepRest(data, this.split(data, base, Date.now(), onLine));
      this.readPos += bytesRead;
      total += bytesRead;
      if (this.readPos > this.size) this.size = this.readPos;
    }
    if (total > 0) this.lastGrowth = Date.now();
    return total;
  }

  /** Emits the unfinished last line (the file will not grow any more at this identity). */
  flushCarry(onLine: LineHandler): void {
    const now = Date.now();
    if (this.carry && this.carry.length > 0) onLine(this, this.carry.toString('utf8').replace(/\r$/, ''), this.readPos, false, now);
    else if (this.longHead !== null) onLine(this, this.longHead, this.readPos, true, now);
    this.dropCarry();
  }

  /** Forgets the unfinished last line (its content is gone). */
  dropCarry(): void {
    this.carry = null;
    this.longHead = null;
  }

  /** Starts over at byte 0 with a fresh fingerprint (truncated or rewritten in place). */
  async restartFromZero(): Promise<void> {
    this.readPos = 0;
    const fp = await fingerprint(this.fh, Math.min(FP_MAX, this.size));
    this.ident = { ...this.ident, path: this.path, fpLen: fp.len, fpHash: fp.hash };
  }

  /** True when the content is no longer what was read (shrunk, or other first bytes). */
  async rewritten(): Promise<boolean> {
    const st = await this.fh.stat();
    if (st.size < this.readPos) return true;
    if (this.ident.fpLen === 0) return false;
    const fp = await fingerprint(this.fh, this.ident.fpLen);
    return fp.len !== this.ident.fpLen || fp.hash !== this.ident.fpHash;
  }

  private async refreshFingerprint(upto: number): Promise<void> {
    const fp = await fingerprint(this.fh, Math.min(FP_MAX, upto));
    if (fp.len !== this.ident.fpLen) this.ident = { ...this.ident, fpLen: fp.len, fpHash: fp.hash };
  }

  /** Remembers the first line of the content (copy detection). */
  private keepHead(data: Buffer): void {
    const nl = data.indexOf(10);
    if (nl !== -1 && nl < FP_MAX) this.head = Buffer.from(data.subarray(0, nl + 1));
  }

  /** Emits the complete lines of `data`, which starts at file offset `base`; returns bytes used. */
  private split(data: Buffer, base: number, nowMs: number, onLine: LineHandler): number {
    const maxLine = this.maxLineBytes;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl === -1) break;
      const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl;
      if (this.longHead !== null) {
        onLine(this, this.longHead, base + nl + 1, true, nowMs);
        this.longHead = null;
      } else if (end - start > maxLine) {
        onLine(this, dropBrokenChar(data.toString('utf8', start, start + maxLine)), base + nl + 1, true, nowMs);
      } else {
        onLine(this, data.toString('utf8', start, end), base + nl + 1, false, nowMs);
      }
      start = nl + 1;
    }
    return start;
  }

  /** Keeps what follows the last newline for the next chunk. */
  private keepRest(data: Buffer, used: number): void {
    this.carry = null;
    if (used >= data.length || this.longHead !== null) return;
    const rest = data.subarray(used);
    // An over-long line without its newline yet: keep its head, skip the rest as it comes.
    if (rest.length > this.maxLineBytes) this.longHead = dropBrokenChar(rest.toString('utf8', 0, this.maxLineBytes));
    else this.carry = Buffer.from(rest); // a copy: the chunk buffer is reused
  }
}
