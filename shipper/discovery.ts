/**
 * Which files the tailer may read, and opening them safely (docs/shipper.md "What is read").
 *
 * - Each configured path or glob has a watched directory: the file's directory, or the glob's
 *   fixed prefix (`/var/log/app` for `/var/log/app/**\/*.log`). Globs are expanded on every
 *   discovery cycle, so new files are picked up while running.
 * - A symbolic link is followed only while its target stays inside a watched directory
 *   (`current.log → app-2024-05.log`), unless `followSymlinks` is set: a link to `/etc/shadow`
 *   or into another tree is refused with a warning.
 * - Files are opened non-blocking and their type is checked on the open descriptor before any
 *   read: a FIFO, socket or device is closed again and skipped, so it can never stall reading.
 * - `roots` are the watched directories; the tailer watches them, and the directory of every
 *   file it follows, with inotify (dir-watch.ts).
 */
import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { glob } from 'tinyglobby';

export interface DiscoverySource {
  /** Absolute path or glob. */
  path: string;
}

export const isGlob = (p: string): boolean => /[*?[\]{}]/.test(p);

/** The directory a path or glob lives in (a glob's fixed prefix). */
export function watchedDir(path: string): string {
  return isGlob(path) ? dirname(path.split(/[*?[{]/)[0] + 'x') : dirname(path);
}

/** An error for a path that exists but is no regular file (FIFO, socket, device, directory). */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(readonly path: string, readonly kind: string) {
    super(`${path} is a ${kind}, not a regular file`);
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  if (st.isDirectory()) return 'directory';
  return 'special file';
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * Opens a regular file for reading without ever blocking (O_NONBLOCK: a FIFO without a writer
 * would block an ordinary open) and checks its type on the descriptor. `noFollow` refuses a
 * symbolic link as the last component. Throws the open's errno error or NotRegularFileError.
 */
export async function openRegularFile(path: string, noFollow = false): Promise<{ fh: FileHandle; st: Stats }> {
  const fh = await open(path, OPEN_FLAGS | (noFollow ? constants.O_NOFOLLOW : 0));
  let st: Stats;
  try {
    st = await fh.stat();
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
  if (!st.isFile()) {
    await fh.close().catch(() => undefined);
    throw new NotRegularFileError(path, kindOf(st));
  }
  return { fh, st };
}

/** A path refused by the symlink policy. */
export class OutsideWatchedError extends Error {
  readonly code = 'EOUTSIDE';
  constructor(readonly path: string, readonly target: string) {
    super(`${path} is a symbolic link to ${target}, outside the watched directories; not read (set --follow-symlinks to allow)`);
  }
}

export interface Discovery {
  /** Every path to follow, with the index of its source; globs are expanded again when `refresh`. */
  list(refresh: boolean): Promise<Array<[string, number]>>;
  /** Opens a discovered path under the symlink policy, non-blocking, regular files only. */
  open(path: string): Promise<{ fh: FileHandle; st: Stats }>;
  /** The watched directories (each path's directory or glob's fixed prefix), where new files appear. */
  readonly roots: readonly string[];
}

export function createDiscovery(sources: readonly DiscoverySource[], followSymlinks: boolean): Discovery {
  const dirs = [...new Set(sources.map((s) => watchedDir(s.path)))];
  /** Real paths of the watched directories (a directory may appear later: retried until found). */
  const roots = new Map<string, string>();

  async function realRoots(): Promise<string[]> {
    for (const d of dirs) {
      if (roots.has(d)) continue;
      const r = await realpath(d).catch(() => undefined);
      if (r) roots.set(d, r);
    }
    return [...roots.values()];
  }

  const expanded = new Map<number, string[]>();
  return {
    roots: dirs,
    async list(refresh) {
      const out: Array<[string, number]> = [];
      for (const [i, s] of sources.entries()) {
        if (!isGlob(s.path)) out.push([s.path, i]);
        else {
          if (refresh || !expanded.has(i)) expanded.set(i, await glob(s.path, { absolute: true, onlyFiles: true, dot: true }));
          for (const p of expanded.get(i)!) out.push([p, i]);
        }
      }
      return out;
    },
    async open(path) {
      if (followSymlinks) return openRegularFile(path);
      // Open the resolved path with O_NOFOLLOW: a link swapped in after the check is refused.
      const real = await realpath(path);
      const inside = (await realRoots()).some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep));
      if (!inside) throw new OutsideWatchedError(path, real);
      return openRegularFile(real, true);
    },
  };
}
