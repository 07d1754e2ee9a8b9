/**
 * How the tailer recognises a file again, and how it tells a copy from new content.
 *
 * Identity: `<dev>:<ino>` plus a fingerprint, the length and SHA-1 of the file's first ≤ 256
 * bytes. The inode says "same file", the fingerprint says "same content": a reused inode or a
 * file rewritten in place has another fingerprint, so it is read from its start again.
 *
 * Copy detection: a rotated file that was empty when last read and then gets content is either
 * late writes (read them) or a copy written over it (`cp app.log app.log.1`, copytruncate onto an
 * existing `.1`: do not read, or its lines would be shipped twice). A copy starts with the first
 * line of content already read, so the first lines of recently read content are remembered.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { FilePosition } from './checkpoint.js';
import { openRegularFile } from './discovery.js';

/** Bytes of a file's start covered by its fingerprint. */
export const FP_MAX = 256;
/** First lines of content read and since truncated away or closed, kept for copy detection. */
const RECENT_HEADS = 32;

/** The identity part of a position; replaced (never mutated) when it changes. */
export type FileIdent = Omit<FilePosition, 'offset'>;

/** Length and SHA-1 (hex) of the first `len` bytes of a file. */
export async function fingerprint(fh: FileHandle, len: number): Promise<{ len: number; hash: string }> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, 0);
  return { len: bytesRead, hash: createHash('sha1').update(buf.subarray(0, bytesRead)).digest('hex') };
}

/** The first line of a file as it is on disk now (null: none complete within FP_MAX bytes). */
export async function firstLineOnDisk(fh: FileHandle): Promise<Buffer | null> {
  const b = Buffer.alloc(FP_MAX);
  const { bytesRead } = await fh.read(b, 0, FP_MAX, 0);
  const nl = b.subarray(0, bytesRead).indexOf(10);
  return nl === -1 ? null : b.subarray(0, nl + 1);
}

/** What copy detection needs to know of a file the tailer holds. */
export interface HeldFile {
  dev: number;
  ino: number;
  /** First line (with its newline) of the content read from it, once complete. */
  head: Buffer | null;
}

/** Remembers first lines of content read, and answers "is this new content a copy of it?". */
export class CopyDetector {
  private readonly recent: Buffer[] = [];

  /** Keeps the first line of content that is going away (truncated, closed). */
  remember(head: Buffer | null): void {
    if (!head) return;
    this.recent.push(head);
    if (this.recent.length > RECENT_HEADS) this.recent.shift();
  }

  /**
   * True when `f`, empty when last read, now starts with the first line of content read
   * elsewhere: a file held now (`held`), content remembered, or a followed path not opened yet
   * (`paths`: a copy made right after a rotation, before we read the new file).
   */
  async filledByCopy(f: HeldFile & { fh: FileHandle }, held: Iterable<HeldFile>, paths: Iterable<string>): Promise<boolean> {
    const head = await firstLineOnDisk(f.fh);
    if (!head) return false;
    for (const o of held) if (o !== f && o.head?.equals(head)) return true;
    if (this.recent.some((h) => h.equals(head))) return true;
    for (const path of paths) if (await startsWith(path, head, f)) return true;
    return false;
  }
}

/** True when the regular file at `path` (another inode than `not`) starts with `head`. */
async function startsWith(path: string, head: Buffer, not: { dev: number; ino: number }): Promise<boolean> {
  const opened = await openRegularFile(path).catch(() => undefined);
  if (!opened) return false;
  const { fh, st } = opened;
  try {
    if (st.ino === not.ino && st.dev === not.dev) return false;
    const b = Buffer.alloc(head.length);
    const { bytesRead } = await fh.read(b, 0, head.length, 0);
    return bytesRead === head.length && b.equals(head);
  } finally {
    await fh.close();
  }
}
