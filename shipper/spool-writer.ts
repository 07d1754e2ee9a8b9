/**
 * Appending to the spool's current segment with group commit: entries that arrive while a
 * write is in progress are written together (one writev) and share one fsync; each append
 * resolves only after that fsync. A new segment is started when the current one passes
 * SEGMENT_BYTES, and never after a torn tail (writing resumes in a new file after a crash).
 * Format: spool-format.ts.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FilePosition } from './checkpoint.js';
import { syncDir } from './checkpoint.js';
import { encodeEntry, MAGIC_V2, segName } from './spool-format.js';

/** Start a new segment once the current one is this large. */
const SEGMENT_BYTES = 32 * 1024 * 1024;

/** A segment file and how many of its entries are still needed. */
export interface Segment {
  path: string;
  /** Entries in it not yet removed. */
  live: number;
  /** Still being appended to. */
  open: boolean;
}

/** An entry made durable: where its frame lives (already counted in `seg.live`). */
export interface Written {
  seg: Segment;
  frameOffset: number;
  /** Bytes the entry takes on disk. */
  size: number;
}

interface Job {
  seq: number;
  frame: Buffer;
  positions: FilePosition[];
  lines: number;
  resolve: (w: Written) => void;
  reject: (err: unknown) => void;
}

/** Writes every buffer, going on where a short writev stopped. */
async function writeAll(fh: FileHandle, bufs: Buffer[], at: number): Promise<void> {
  let off = at;
  let rest = bufs;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, off);
    off += bytesWritten;
    let n = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (n >= b.length) n -= b.length;
      else {
        next.push(n > 0 ? b.subarray(n) : b);
        n = 0;
      }
    }
    rest = next;
  }
}

export class SegmentWriter {
  private cur: { seg: Segment; fh: FileHandle; size: number } | undefined;
  private jobs: Job[] = [];
  private writing: Promise<void> | undefined;

  constructor(private readonly dir: string, private readonly fsync: boolean) {}

  /** Appends one entry; resolves once it is durable. Calls may overlap (group commit). */
  append(seq: number, frame: Buffer, positions: FilePosition[], lines: number): Promise<Written> {
    return new Promise<Written>((resolve, reject) => {
      this.jobs.push({ seq, frame, positions, lines, resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  /** Finishes pending writes and closes the segment (deleting it when nothing in it is needed). */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.cur) return;
    await this.cur.fh.close().catch(() => undefined);
    this.cur.seg.open = false;
    if (this.cur.seg.live === 0) await unlink(this.cur.seg.path).catch(() => undefined);
    this.cur = undefined;
  }

  private async startSegment(firstSeq: number): Promise<void> {
    if (this.cur) {
      this.cur.seg.open = false;
      await this.cur.fh.close();
      if (this.cur.seg.live === 0) await unlink(this.cur.seg.path).catch(() => undefined);
    }
    const path = join(this.dir, segName(firstSeq));
    const fh = await open(path, 'w', 0o600);
    await fh.write(MAGIC_V2, 0, 4, 0);
    // The new file's name must survive a crash along with the entries synced into it.
    if (this.fsync) {
      await fh.sync();
      await syncDir(this.dir);
    }
    this.cur = { seg: { path, live: 0, open: true }, fh, size: 4 };
  }

  private async writeLoop(): Promise<void> {
    while (this.jobs.length > 0) {
      const group = this.jobs;
      this.jobs = [];
      try {
        await this.writeGroup(group);
      } catch (err) {
        for (const job of group) job.reject(err);
      }
    }
    this.writing = undefined;
  }

  private async writeGroup(group: Job[]): Promise<void> {
    if (!this.cur || this.cur.size >= SEGMENT_BYTES) await this.startSegment(group[0].seq);
    const cur = this.cur!;
    const bufs: Buffer[] = [];
    const placed: Written[] = [];
    let at = cur.size;
    for (const job of group) {
      const { head, frameAt } = encodeEntry(job.seq, job.lines, job.positions, job.frame);
      const size = head.length + job.frame.length;
      bufs.push(head, job.frame);
      placed.push({ seg: cur.seg, frameOffset: at + frameAt, size });
      at += size;
    }
    await writeAll(cur.fh, bufs, cur.size);
    if (this.fsync) await cur.fh.sync();
    cur.size = at;
    // Counted before anyone hears of the entries, so the segment is never deleted under them.
    cur.seg.live += group.length;
    for (const [i, job] of group.entries()) job.resolve(placed[i]);
  }
}
