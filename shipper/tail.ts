/**
 * Follows files across rotation. For each configured path or glob it keeps one open file per
 * path plus rotated-away files still being drained (see file-identity.ts for how a file is
 * recognised, open-file.ts for reading and line splitting, discovery.ts for what may be read).
 *
 * - rename rotation (the path now has another inode): the old file is read to its end first,
 *   kept open for `rotateWaitMs` for late writes, then the new file is read from its start;
 * - copytruncate / truncation (same inode, smaller size or other first bytes): read again from
 *   0; lines written between our last read and the truncate are lost (the unavoidable race,
 *   docs/shipper.md), nothing is read twice;
 * - deletion: the open file is drained, then closed; a re-created path is a new file;
 * - a rotated file that was empty when last read and then gets content: late writes are read,
 *   a copy of content read elsewhere is not (CopyDetector): nothing twice;
 * - inode reuse: the fingerprint differs from the checkpoint, so it is a new file;
 * - rotated while we were stopped: the checkpointed inode is looked up in its directory and
 *   drained from its checkpoint before the new file is read.
 */
import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FilePosition } from './checkpoint.js';
import { CopyDetector, fingerprint, FP_MAX, type FileIdent } from './file-identity.js';
import { DirWatcher } from './dir-watch.js';
import { createDiscovery, isGlob } from './discovery.js';
import { OpenFile, type ChunkBuffer, type TailedFile } from './open-file.js';

export type { FileIdent } from './file-identity.js';
export type { TailedFile } from './open-file.js';

/** Reads of at most this much keep one turn of the event loop short (a signal is handled promptly). */
const MIN_CHUNK = 256 * 1024;
/**
 * With inotify seeing every followed file (its directory is watched), a full cycle (globs, a stat
 * of every file) runs this rarely when nothing happens: changes wake the tailer, and it then
 * checks only the files that changed. Without that (no inotify, watch limit reached) it polls
 * every `pollIntervalMs`.
 */
const SAFETY_POLL_MS = 2000;
/** …plus this much per followed file (the cycle stats each one), up to SAFETY_POLL_MAX_MS: 1,000 idle files cost a full cycle every 12 s, not every 2 s. */
const SAFETY_POLL_PER_FILE_MS = 10;
const SAFETY_POLL_MAX_MS = 20_000;
/** Globs are expanded again at least this often even without any event. */
const GLOB_REFRESH_MS = 10_000;

export interface TailSource {
  /** Absolute path or glob. */
  path: string;
  maxLineBytes: number;
}

export interface TailHandlers {
  /** A file is opened; lines follow. */
  onOpen(file: TailedFile): void;
  onLine(file: TailedFile, line: string, endOffset: number, truncated: boolean, nowMs: number): void;
  /** The file's content is gone (truncated, rewritten) or it is closed: flush pending state. */
  onReset(file: TailedFile, reason: 'truncated' | 'rotated' | 'closed'): void;
  onClose(file: TailedFile): void;
  /** Resolves when reading may continue (spool below its cap); undefined = go on. */
  gate(): Promise<void> | undefined;
  /** Every file has been read to its end (a good moment to send a partial batch). */
  onCaughtUp?(): void;
  warn(msg: string): void;
  info(msg: string): void;
}

export interface TailOptions {
  pollIntervalMs: number;
  rotateWaitMs: number;
  fromEnd: boolean;
  /** Follow symbolic links out of the watched directories (default false). */
  followSymlinks?: boolean;
}

export interface Tailer {
  /** Runs one discovery + read cycle (tests drive this directly). */
  cycle(): Promise<void>;
  /** Polls until closed, waking early on filesystem events. */
  run(): Promise<void>;
  /** Bytes present in files but not yet read. */
  behindBytes(): number;
  files(): TailedFile[];
  close(): Promise<void>;
}

/** Creates a tailer; `resume` maps `<dev>:<ino>` to where reading stopped last time. */
export function createTailer(sources: TailSource[], opts: TailOptions, resume: Map<string, FilePosition>, h: TailHandlers): Tailer {
  return new FileTailer(sources, opts, resume, h);
}

class FileTailer implements Tailer {
  private readonly active = new Map<string, OpenFile>();
  private readonly draining: OpenFile[] = [];
  /** Last error reported per path, so a lasting problem is reported once. */
  private readonly failed = new Map<string, string>();
  private readonly copies = new CopyDetector();
  private readonly discovery;
  private readonly chunk: ChunkBuffer;
  private readonly onLine;
  private firstCycle = true;
  private closed = false;
  private wake: (() => void) | undefined;
  private woken = false;
  private dirs: DirWatcher | undefined;
  /** Paths whose content changed (inotify) since the last cycle. */
  private changed = new Set<string>();
  /** A full cycle is due: first one, poll timeout, or a file appeared, left or was renamed. */
  private fullDue = true;
  /** A file appeared, left or was renamed since globs were last expanded. */
  private renamed = true;
  private globbedAt = 0;

  constructor(
    private readonly sources: TailSource[],
    private readonly opts: TailOptions,
    private readonly resume: Map<string, FilePosition>,
    private readonly h: TailHandlers,
  ) {
    this.discovery = createDiscovery(sources, opts.followSymlinks ?? false);
    this.chunk = { buf: Buffer.allocUnsafe(Math.max(MIN_CHUNK, ...sources.map((s) => s.maxLineBytes * 2))) };
    this.onLine = h.onLine.bind(h);
  }

  private held(): OpenFile[] {
    return [...this.active.values(), ...this.draining];
  }

  private readToEnd(f: OpenFile): Promise<number> {
    return f.readToEnd(this.chunk, () => this.h.gate(), () => this.closed, this.onLine);
  }

  private reportOnce(path: string, code: string, message: string): void {
    if (this.failed.get(path) !== code) this.h.warn(message);
    this.failed.set(path, code);
  }

  private async openFile(path: string, source: number, startAt: 'resume' | 'start'): Promise<OpenFile | undefined> {
    let opened;
    try {
      opened = await this.discovery.open(path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const code = e.code ?? 'error';
      if (code === 'ENOTREG' || code === 'EOUTSIDE') this.reportOnce(path, code, e.message);
      else if (code !== 'ENOENT') this.reportOnce(path, code, `cannot read ${path}: ${code}`);
      else this.failed.set(path, code);
      return undefined;
    }
    this.failed.delete(path);
    const { fh, st } = opened;
    const key = `${st.dev}:${st.ino}`;
    const fp = await fingerprint(fh, Math.min(FP_MAX, st.size));
    const readPos = await this.startPosition(path, key, fh, st, fp, startAt);
    const f = new OpenFile(source, path, fh, st, { key, path, fpLen: fp.len, fpHash: fp.hash }, readPos, this.sources[source].maxLineBytes);
    this.h.onOpen(f);
    return f;
  }

  /** Where to start reading a file just opened: its checkpoint, its end (--from-end) or 0. */
  private async startPosition(path: string, key: string, fh: OpenFile['fh'], st: Stats, fp: { len: number; hash: string }, startAt: 'resume' | 'start'): Promise<number> {
    const cp = startAt === 'resume' ? this.resume.get(key) : undefined;
    if (!cp) return startAt === 'resume' && this.firstCycle && this.opts.fromEnd ? st.size : 0;
    this.resume.delete(key);
    const now = cp.fpLen <= fp.len ? (await fingerprint(fh, cp.fpLen)).hash : '';
    if (now === cp.fpHash && cp.offset <= st.size) return cp.offset;
    if (now === cp.fpHash) this.h.info(`${path} is shorter than its checkpoint (truncated while stopped); reading from its start`);
    else this.h.info(`${path} reuses the inode of an earlier file (different content); reading from its start`);
    return 0;
  }

  private async restart(f: OpenFile, why: string): Promise<void> {
    this.h.info(`${f.path} was ${why}; reading it again from its start`);
    f.flushCarry(this.onLine);
    this.h.onReset(f, 'truncated');
    this.copies.remember(f.head);
    f.head = null;
    await f.restartFromZero();
  }

  /** True when f's content is no longer what we read (shrunk, other first bytes, or a copy). */
  private async overwritten(f: OpenFile): Promise<boolean> {
    if (await f.rewritten()) return true;
    // Empty when last read: new content is either late writes or a copy of what we read elsewhere.
    if (f.ident.fpLen !== 0) return false;
    const st = await f.fh.stat();
    return st.size > 0 && (await this.copies.filledByCopy(f, this.held(), this.active.keys()));
  }

  /** A followed file left its path: read it to its end, then keep draining it a while. */
  private async retire(f: OpenFile): Promise<void> {
    // Truncated or rewritten before it left its path: what we had not read is gone (the
    // copytruncate race); reading what is there now could repeat copied lines, so stop here.
    if (await this.overwritten(f)) {
      this.h.info(`${f.path} was truncated or rewritten just before it was rotated; lines written in between may be missing`);
      f.dropCarry();
      f.readPos = f.size = (await f.fh.stat()).size;
    }
    await this.readToEnd(f);
    f.drainSince = Date.now();
    this.draining.push(f);
  }

  private async closeFile(f: OpenFile): Promise<void> {
    this.copies.remember(f.head);
    f.head = null;
    f.flushCarry(this.onLine);
    this.h.onReset(f, 'closed');
    this.h.onClose(f);
    await f.fh.close().catch(() => undefined);
  }

  /** Checks a followed path for rotation/truncation, then reads it. */
  private async checkActive(path: string, f: OpenFile): Promise<void> {
    const st = await stat(path).catch(() => null);
    if (!st || st.ino !== f.ino || st.dev !== f.dev) {
      // Renamed away or deleted: finish the old file first, then (if any) the new one at this path.
      this.active.delete(path);
      await this.retire(f);
      if (!st) return;
      const nf = await this.openFile(path, f.source, 'start');
      if (nf) {
        this.active.set(path, nf);
        await this.readToEnd(nf);
      }
      return;
    }
    if (st.size === f.size && st.mtimeMs === f.mtimeMs && f.readPos >= st.size) return;
    if (st.size < f.readPos) {
      f.size = st.size;
      await this.restart(f, 'truncated');
    } else if (f.ident.fpLen > 0) {
      f.size = st.size;
      const fp = await fingerprint(f.fh, f.ident.fpLen);
      if (fp.hash !== f.ident.fpHash || fp.len !== f.ident.fpLen) await this.restart(f, 'truncated and rewritten');
    }
    f.size = st.size;
    f.mtimeMs = st.mtimeMs;
    await this.readToEnd(f);
  }

  /** Startup: files rotated while we were stopped are found by inode in their directory. */
  private async adoptOrphans(): Promise<void> {
    const byDir = new Map<string, FilePosition[]>();
    for (const cp of this.resume.values()) {
      const d = dirname(cp.path);
      byDir.set(d, [...(byDir.get(d) ?? []), cp]);
    }
    for (const [dir, cps] of byDir) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const p = join(dir, name);
        const st = await stat(p).catch(() => null);
        if (!st?.isFile()) continue;
        const cp = cps.find((c) => c.key === `${st.dev}:${st.ino}`);
        if (!cp || cp.offset >= st.size) continue;
        const src = this.sources.findIndex((s) => s.path === cp.path || isGlob(s.path));
        const f = await this.openFile(p, Math.max(0, src), 'resume');
        if (f && f.readPos > 0) {
          this.h.info(`${basename(cp.path)} was rotated to ${name} while stopped; shipping its last ${f.size - f.readPos} bytes`);
          await this.retire(f);
        } else if (f) {
          await this.closeFile(f);
        }
      }
    }
  }

  private async discover(): Promise<void> {
    const refresh = !this.dirs || this.dirs.size === 0 || this.renamed || Date.now() - this.globbedAt >= GLOB_REFRESH_MS;
    if (refresh) {
      this.renamed = false;
      this.globbedAt = Date.now();
    }
    for (const [path, source] of await this.discovery.list(refresh)) {
      if (this.closed) return;
      if (this.active.has(path)) continue;
      const f = await this.openFile(path, source, 'resume');
      if (f) this.active.set(path, f);
    }
    if (!this.firstCycle) return;
    // Inodes seen now are resumed; what is left in `resume` was rotated away while stopped.
    const opened = new Set([...this.active.values()].map((f) => f.ident.key));
    for (const k of [...this.resume.keys()]) if (opened.has(k)) this.resume.delete(k);
    await this.adoptOrphans();
    this.resume.clear();
    this.firstCycle = false;
  }

  private async drainRotated(): Promise<void> {
    const now = Date.now();
    for (const f of [...this.draining]) {
      if (this.closed) return;
      const gone = await this.overwritten(f);
      // Rewritten in place (e.g. copied over): its old content is gone.
      if (gone) f.dropCarry();
      else await this.readToEnd(f);
      if (gone || now - Math.max(f.lastGrowth, f.drainSince) >= this.opts.rotateWaitMs) {
        this.draining.splice(this.draining.indexOf(f), 1);
        await this.closeFile(f);
      }
    }
  }

  async cycle(): Promise<void> {
    await this.discover();
    await this.drainRotated();
    for (const [path, f] of [...this.active]) {
      if (this.closed) return;
      await this.checkActive(path, f);
    }
    if (!this.closed) this.h.onCaughtUp?.();
  }

  /** Only what inotify said changed (plus rotated files still draining). */
  private async changedCycle(): Promise<void> {
    const changed = this.changed;
    this.changed = new Set();
    await this.drainRotated();
    for (const path of changed) {
      const f = this.active.get(path);
      if (this.closed) return;
      if (f) await this.checkActive(path, f);
    }
    if (!this.closed) this.h.onCaughtUp?.();
  }

  async run(): Promise<void> {
    this.dirs = new DirWatcher((event, path) => {
      if (event === 'change' && path) this.changed.add(path);
      else this.fullDue = this.renamed = true;
      this.woken = true;
      this.wake?.();
    });
    let targeted = false;
    while (!this.closed) {
      this.woken = false;
      if (this.fullDue || !targeted) {
        this.fullDue = false;
        this.changed.clear();
        await this.cycle();
        const watched = await this.watchFollowed(this.dirs);
        targeted = watched.covered;
        // What was written between this cycle's reads and a new watch raised no event: look again.
        if (watched.added > 0) this.fullDue = this.woken = true;
      } else await this.changedCycle();
      if (this.closed || this.woken) continue;
      const safetyMs = Math.min(SAFETY_POLL_MAX_MS, SAFETY_POLL_MS + this.active.size * SAFETY_POLL_PER_FILE_MS);
      const idleMs = targeted && this.draining.length === 0 ? Math.max(this.opts.pollIntervalMs, safetyMs) : this.opts.pollIntervalMs;
      const timedOut = await new Promise<boolean>((res) => {
        const t = setTimeout(() => res(true), idleMs);
        this.wake = () => {
          clearTimeout(t);
          res(false);
        };
      });
      this.wake = undefined;
      if (timedOut) this.fullDue = true;
    }
  }

  /** Watches the roots and each followed file's directory; `covered` when inotify then sees every followed file. */
  private async watchFollowed(dirs: DirWatcher): Promise<{ covered: boolean; added: number }> {
    const fileDirs = [...this.active.keys()].map((p) => dirname(p));
    const added = await dirs.watch([...this.discovery.roots, ...fileDirs]);
    return { covered: dirs.size > 0 && fileDirs.every((d) => dirs.covers(d)), added };
  }

  behindBytes(): number {
    let n = 0;
    for (const f of this.held()) n += Math.max(0, f.size - f.readPos);
    return n;
  }

  files(): TailedFile[] {
    return this.held();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.dirs?.close();
    for (const f of this.held()) await f.fh.close().catch(() => undefined);
    this.active.clear();
    this.draining.length = 0;
  }
}
