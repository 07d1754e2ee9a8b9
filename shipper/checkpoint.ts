/**
 * Persisted read positions, advanced only by hub acks, plus the shipper's stable id.
 *
 * On disk, in the state directory:
 *   shipper.id        the stable shipper id sent in `hello` (created once)
 *   checkpoint.json   {"version":1,"lastSeq":N,"files":{"<dev>:<ino>":FilePosition,…}}
 * Both are written to a temp file, fsynced, renamed over the old one, and the directory is
 * fsynced, so a crash leaves either the old or the new version, never a torn one.
 *
 * Entries of files that are no longer followed and saw no ack for PRUNE_AFTER_MS are dropped
 * (see pruneCheckpoint), so the file does not grow with every rotated log ever read.
 *
 * Invariant: `lastSeq` and every offset here are covered by batches the hub acknowledged.
 * Positions of spooled-but-unacked batches live in the spool (see spool.ts); the resume point
 * of a file is the checkpoint with the spooled positions applied on top, in seq order.
 */
import { open, readFile, rename, mkdir, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const CHECKPOINT_VERSION = 1;

/** Where a file has been read up to, and how to recognise that file again. */
export interface FilePosition {
  /** `<dev>:<ino>` of the file. */
  key: string;
  /** Path the file had when last read (it may since have been renamed). */
  path: string;
  /** Length and SHA-1 (hex) of the first bytes, to tell a reused inode or a rewrite from the same file. */
  fpLen: number;
  fpHash: string;
  /** Byte offset just past the last line covered. */
  offset: number;
  /** When a batch covering this file was last acked (epoch ms; checkpoint only, for pruning). */
  ackedMs?: number;
}

export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  /** Highest batch seq the hub acknowledged to us. */
  lastSeq: number;
  files: Record<string, FilePosition>;
}

/** A damaged or unreadable state file, for a person. */
export class StateError extends Error {
  override name = 'StateError';
}

/** Writes `data` atomically: temp file, fsync, rename, directory fsync. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, fsync = true): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (fsync) await syncDir(join(path, '..'));
}

export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await d.close();
  }
}

/** Reads the checkpoint; an empty one when there is none yet. */
export async function readCheckpoint(stateDir: string): Promise<Checkpoint> {
  const path = join(stateDir, 'checkpoint.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: CHECKPOINT_VERSION, lastSeq: 0, files: {} };
    throw new StateError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  let v: Checkpoint;
  try {
    v = JSON.parse(text) as Checkpoint;
  } catch {
    throw new StateError(`${path} is damaged (not JSON); move it away to start over (files would be shipped again)`);
  }
  if (v.version !== CHECKPOINT_VERSION) throw new StateError(`${path} has version ${String(v.version)}; this shipper reads version ${CHECKPOINT_VERSION}`);
  return { version: CHECKPOINT_VERSION, lastSeq: Number(v.lastSeq) || 0, files: v.files ?? {} };
}

/** A file not followed any more whose last ack is older than this is forgotten. */
export const PRUNE_AFTER_MS = 7 * 86_400_000;

/**
 * Drops entries of files not open now (`openKeys`) whose last ack is older than PRUNE_AFTER_MS;
 * entries without a time (written before it was kept) get `nowMs`. Returns how many were dropped.
 */
export function pruneCheckpoint(cp: Checkpoint, openKeys: ReadonlySet<string>, nowMs: number): number {
  let n = 0;
  for (const [key, p] of Object.entries(cp.files)) {
    if (p.ackedMs === undefined) cp.files[key] = { ...p, ackedMs: nowMs };
    else if (!openKeys.has(key) && nowMs - p.ackedMs > PRUNE_AFTER_MS) {
      delete cp.files[key];
      n++;
    }
  }
  return n;
}

export interface CheckpointWriter {
  /** Persists `cp` (coalescing: concurrent calls share writes); resolves once durable. */
  write(cp: Checkpoint): Promise<void>;
  close(): Promise<void>;
}

/** Serialises checkpoint writes; a write requested while one runs is folded into the next. */
export function createCheckpointWriter(stateDir: string, fsync: boolean): CheckpointWriter {
  const path = join(stateDir, 'checkpoint.json');
  let running: Promise<void> | undefined;
  let next: { cp: Checkpoint; waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> } | undefined;

  async function loop(): Promise<void> {
    while (next) {
      const job = next;
      next = undefined;
      try {
        await writeFileAtomic(path, JSON.stringify(job.cp), fsync);
        for (const w of job.waiters) w.resolve();
      } catch (err) {
        for (const w of job.waiters) w.reject(err);
      }
    }
    running = undefined;
  }

  return {
    write(cp) {
      return new Promise<void>((resolve, reject) => {
        if (next) next.cp = cp;
        else next = { cp, waiters: [] };
        next.waiters.push({ resolve, reject });
        running ??= loop();
      });
    },
    async close() {
      await running;
    },
  };
}

/** Reads or creates the stable shipper id (`<host>-<random>`), kept across restarts. */
export async function loadShipperId(stateDir: string): Promise<string> {
  await mkdir(stateDir, { recursive: true });
  const path = join(stateDir, 'shipper.id');
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (id) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StateError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  const id = `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64)}-${randomBytes(8).toString('hex')}`;
  await writeFileAtomic(path, `${id}\n`);
  return id;
}

/** The temp file a checkpoint write goes through (see writeFileAtomic). */
export const checkpointTempPath = (stateDir: string): string => join(stateDir, 'checkpoint.json.tmp');

/** Removes a leftover temp file from a crash mid-write (harmless if absent). */
export async function cleanTemp(stateDir: string): Promise<void> {
  await unlink(checkpointTempPath(stateDir)).catch(() => undefined);
}
