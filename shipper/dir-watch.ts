/**
 * inotify watches (`fs.watch`, one per directory, not recursive) on the directories the tailer
 * cares about: each configured path's or glob's fixed prefix, where new files and directories
 * appear, and the directory of every followed file, where its content changes. A glob such as
 * `/var/log/app*\/*.log` follows files in many directories below its prefix; watching only the
 * prefix would leave the tailer polling every one of them.
 *
 * Invariant: `covers(dir)` is true only while a live watch is on that very directory. A watch
 * that fails, or whose directory was replaced (another inode at the path), is dropped on the
 * next `watch()` call and set up again if the directory is there.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Receives 'rename' (a file appeared, left or was renamed) or 'change' (content), with the file's path when known. */
export type DirChange = (event: string, path: string | undefined) => void;

interface Watched {
  watcher: FSWatcher;
  /** `<dev>:<ino>` of the directory when the watch was set up. */
  id: string;
}

export class DirWatcher {
  private readonly watched = new Map<string, Watched>();
  private closed = false;

  constructor(private readonly onChange: DirChange) {}

  /** How many directories are being watched. */
  get size(): number {
    return this.watched.size;
  }

  covers(dir: string): boolean {
    return this.watched.has(dir);
  }

  /**
   * Makes sure each of `dirs` is watched (a missing directory is skipped: polling still sees it).
   * Returns how many watches were set up: changes made before those raised no event.
   */
  async watch(dirs: Iterable<string>): Promise<number> {
    let added = 0;
    for (const dir of new Set(dirs)) {
      if (this.closed) break;
      const st = await stat(dir).catch(() => null);
      const id = st?.isDirectory() ? `${st.dev}:${st.ino}` : undefined;
      const w = this.watched.get(dir);
      if (w && w.id === id) continue;
      if (w) this.drop(dir, w);
      if (id !== undefined && this.add(dir, id)) added++;
    }
    return added;
  }

  private add(dir: string, id: string): boolean {
    try {
      const watcher = watch(dir, { persistent: false }, (event, name) => this.onChange(event, name ? join(dir, name.toString()) : undefined));
      const entry = { watcher, id };
      // A failed watch (directory gone, watch limit reached) stops covering its directory.
      watcher.on('error', () => this.drop(dir, entry));
      this.watched.set(dir, entry);
      return true;
    } catch {
      // No inotify, or the limit on watches is reached: polling still works.
      return false;
    }
  }

  private drop(dir: string, w: Watched): void {
    if (this.watched.get(dir) === w) this.watched.delete(dir);
    w.watcher.close();
  }

  close(): void {
    this.closed = true;
    for (const [dir, w] of this.watched) this.drop(dir, w);
  }
}
