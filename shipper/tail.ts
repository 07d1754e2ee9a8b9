/**
 * Follows files across rotation. For each configured path or glob it keeps one open file per
 * path plus rotated-away files still being drained, and reads them in chunks, splitting lines.
 *
 * Identity: a file is `<dev>:<ino>` plus a fingerprint (length + SHA-1 of its first ≤256 bytes).
 * - rename rotation (path now has another inode): the old file is read to its end first, kept
 *   open for `rotateWaitMs` for late writes, then the new file is read from its start;
 * - copytruncate / truncation (same inode, smaller size or different first bytes): read again
 *   from 0; lines written between our last read and the truncate are lost (the unavoidable race,
 *   SPEC §9), nothing is read twice;
 * - deletion: the open file is drained, then closed; a re-created path is a new file;
 * - a rotated file that was empty when last read and then gets content: late writes are read,
 *   but content that starts with the first line of a file we have read (or of content since
 *   truncated away, or of a followed path now) is a copy written over it in place
 *   (`cp app.log app.log.1` / copytruncate onto an existing .1) and is not read: nothing twice;
 * - inode reuse: the fingerprint differs from the checkpoint, so it is a new file;
 * - rotated while we were stopped: the checkpointed inode is looked up in its directory and
 *   drained from its checkpoint before the new file is read.
 * Offsets are byte positions just past a newline; an unfinished last line waits for its newline
 * (it is emitted as is only when its file is rotated away or truncated).
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { glob } from 'tinyglobby';
import type { FilePosition } from './checkpoint.js';

const FP_MAX = 256;
const MIN_CHUNK = 1024 * 1024;

/** The identity part of a position; replaced (never mutated) when it changes. */
export type FileIdent = Omit<FilePosition, 'offset'>;

export interface TailSource {
  /** Absolute path or glob. */
  path: string;
  maxLineBytes: number;
}

/** One open file. */
export interface TailedFile {
  readonly source: number;
  path: string;
  ident: FileIdent;
  /** Next byte to read. */
  readPos: number;
  /** Size seen at the last stat. */
  size: number;
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
  warn(msg: string): void;
  info(msg: string): void;
}

export interface TailOptions {
  pollIntervalMs: number;
  rotateWaitMs: number;
  fromEnd: boolean;
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

interface OpenFile extends TailedFile {
  fh: FileHandle;
  dev: number;
  ino: number;
  carry: Buffer | null;
  /** Head of an over-long line whose newline has not come yet. */
  longHead: string | null;
  mtimeMs: number;
  drainSince: number;
  lastGrowth: number;
  /** The first line (with its newline) of the content read from this file, once complete. */
  head: Buffer | null;
}

/** First lines of content we read that has since been truncated away or closed (copy detection). */
const RECENT_HEADS = 32;

const isGlob = (p: string): boolean => /[*?[\]{}]/.test(p);

async function fingerprint(fh: FileHandle, len: number): Promise<{ len: number; hash: string }> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, 0);
  return { len: bytesRead, hash: createHash('sha1').update(buf.subarray(0, bytesRead)).digest('hex') };
}

/** Creates a tailer; `resume` maps `<dev>:<ino>` to where reading stopped last time. */
export function createTailer(sources: TailSource[], opts: TailOptions, resume: Map<string, FilePosition>, h: TailHandlers): Tailer {
  const active = new Map<string, OpenFile>();
  const draining: OpenFile[] = [];
  const failed = new Map<string, string>();
  let firstCycle = true;
  let closed = false;
  let wake: (() => void) | undefined;
  let woken = false;
  const watchers: FSWatcher[] = [];
  const chunkSize = Math.max(MIN_CHUNK, ...sources.map((s) => s.maxLineBytes * 2));
  const buf = Buffer.allocUnsafe(chunkSize);
  const recentHeads: Buffer[] = [];

  function rememberHead(f: OpenFile): void {
    if (!f.head) return;
    recentHeads.push(f.head);
    if (recentHeads.length > RECENT_HEADS) recentHeads.shift();
    f.head = null;
  }

  /** The first line of f as it is on disk now (null: none complete within FP_MAX bytes). */
  async function headOnDisk(f: OpenFile): Promise<Buffer | null> {
    const b = Buffer.alloc(FP_MAX);
    const { bytesRead } = await f.fh.read(b, 0, FP_MAX, 0);
    const nl = b.subarray(0, bytesRead).indexOf(10);
    return nl === -1 ? null : b.subarray(0, nl + 1);
  }

  /**
   * True when a file that was empty when we last read it now starts with the first line of
   * content we have read elsewhere: it was filled by a copy (e.g. copytruncate of the followed
   * file onto the rotated one, in place), not by late writes, and reading it would duplicate.
   */
  async function filledByCopy(f: OpenFile): Promise<boolean> {
    const head = await headOnDisk(f);
    if (!head) return false;
    for (const o of [...active.values(), ...draining]) if (o !== f && o.head?.equals(head)) return true;
    if (recentHeads.some((h) => h.equals(head))) return true;
    // A copy of a followed file we have not opened yet (`cp app.log app.log.1` right after a
    // rotation): reading both would ship its lines twice.
    for (const path of active.keys()) {
      const fh = await open(path, 'r').catch(() => undefined);
      if (!fh) continue;
      try {
        const st = await fh.stat();
        if (st.ino === f.ino && st.dev === f.dev) continue;
        const b = Buffer.alloc(head.length);
        const { bytesRead } = await fh.read(b, 0, head.length, 0);
        if (bytesRead === head.length && b.equals(head)) return true;
      } finally {
        await fh.close();
      }
    }
    return false;
  }

  async function openFile(path: string, source: number, startAt: 'resume' | 'start'): Promise<OpenFile | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code !== 'ENOENT' && failed.get(path) !== code) h.warn(`cannot read ${path}: ${code}`);
      failed.set(path, code);
      return undefined;
    }
    failed.delete(path);
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      return undefined;
    }
    const key = `${st.dev}:${st.ino}`;
    const fp = await fingerprint(fh, Math.min(FP_MAX, st.size));
    let readPos = 0;
    const cp = startAt === 'resume' ? resume.get(key) : undefined;
    if (cp) {
      resume.delete(key);
      const now = cp.fpLen <= fp.len ? (await fingerprint(fh, cp.fpLen)).hash : '';
      if (now === cp.fpHash && cp.offset <= st.size) readPos = cp.offset;
      else if (now === cp.fpHash) h.info(`${path} is shorter than its checkpoint (truncated while stopped); reading from its start`);
      else h.info(`${path} reuses the inode of an earlier file (different content); reading from its start`);
    } else if (startAt === 'resume' && firstCycle && opts.fromEnd) {
      readPos = st.size;
    }
    const f: OpenFile = {
      source, path, fh, dev: st.dev, ino: st.ino, readPos, size: st.size, mtimeMs: st.mtimeMs,
      ident: { key, path, fpLen: fp.len, fpHash: fp.hash },
      carry: null, longHead: null, drainSince: 0, lastGrowth: Date.now(), head: null,
    };
    h.onOpen(f);
    return f;
  }

  /** Emits the complete lines of `data`, which starts at file offset `base`. */
  function split(f: OpenFile, data: Buffer, base: number, maxLine: number, nowMs: number): number {
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl === -1) break;
      const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl; // tolerate CRLF
      if (f.longHead !== null) {
        h.onLine(f, f.longHead, base + nl + 1, true, nowMs);
        f.longHead = null;
      } else if (end - start > maxLine) {
        h.onLine(f, data.toString('utf8', start, start + maxLine).replace(/\uFFFD$/, ''), base + nl + 1, true, nowMs);
      } else {
        h.onLine(f, data.toString('utf8', start, end), base + nl + 1, false, nowMs);
      }
      start = nl + 1;
    }
    return start;
  }

  /** Reads f from readPos to its current end. Returns bytes read. */
  async function readToEnd(f: OpenFile): Promise<number> {
    const maxLine = sources[f.source].maxLineBytes;
    let total = 0;
    for (;;) {
      const g = h.gate();
      if (g) await g;
      if (closed) return total;
      // The unfinished line of the last chunk goes in front of the next one, in the same buffer
      // (no concatenated copy per chunk; it is at most maxLine bytes, the buffer twice that).
      const carryLen = f.carry ? f.carry.length : 0;
      if (f.carry) f.carry.copy(buf, 0);
      const { bytesRead } = await f.fh.read(buf, carryLen, chunkSize - carryLen, f.readPos);
      if (bytesRead === 0) break;
      // Lines carry the fingerprint, so it must cover what they were read from before they go out.
      if (f.ident.fpLen < FP_MAX && f.readPos + bytesRead > f.ident.fpLen) await refreshFingerprint(f, f.readPos + bytesRead);
      const nowMs = Date.now();
      const data = buf.subarray(0, carryLen + bytesRead);
      const base = f.readPos - carryLen;
      if (base === 0 && f.head === null) {
        const nl = data.indexOf(10);
        if (nl !== -1 && nl < FP_MAX) f.head = Buffer.from(data.subarray(0, nl + 1));
      }
      const used = split(f, data, base, maxLine, nowMs);
      f.carry = null;
      if (used < data.length) {
        const rest = data.subarray(used);
        if (f.longHead === null && rest.length > maxLine) {
          // An over-long line without its newline yet: keep its head, skip the rest as it comes.
          f.longHead = rest.toString('utf8', 0, maxLine).replace(/\uFFFD$/, '');
        } else if (f.longHead === null) {
          f.carry = Buffer.from(rest); // copy: `buf` is reused
        }
      }
      f.readPos += bytesRead;
      total += bytesRead;
      if (f.readPos > f.size) f.size = f.readPos;
    }
    if (total > 0) f.lastGrowth = Date.now();
    return total;
  }

  async function refreshFingerprint(f: OpenFile, upto: number): Promise<void> {
    const fp = await fingerprint(f.fh, Math.min(FP_MAX, upto));
    if (fp.len !== f.ident.fpLen) f.ident = { ...f.ident, fpLen: fp.len, fpHash: fp.hash };
  }

  /** Emits an unfinished last line (its file will not grow any more at this identity). */
  function flushCarry(f: OpenFile): void {
    if (f.carry && f.carry.length > 0) h.onLine(f, f.carry.toString('utf8').replace(/\r$/, ''), f.readPos, false, Date.now());
    else if (f.longHead !== null) h.onLine(f, f.longHead, f.readPos, true, Date.now());
    f.carry = null;
    f.longHead = null;
  }

  async function restart(f: OpenFile, why: string): Promise<void> {
    h.info(`${f.path} was ${why}; reading it again from its start`);
    flushCarry(f);
    h.onReset(f, 'truncated');
    rememberHead(f);
    f.readPos = 0;
    const fp = await fingerprint(f.fh, Math.min(FP_MAX, f.size));
    f.ident = { ...f.ident, path: f.path, fpLen: fp.len, fpHash: fp.hash };
  }

  /** True when f's content is no longer what we read (shrunk, or different first bytes). */
  async function overwritten(f: OpenFile): Promise<boolean> {
    const st = await f.fh.stat();
    if (st.size < f.readPos) return true;
    // Empty when last read: new content is either late writes or a copy of what we read elsewhere.
    if (f.ident.fpLen === 0) return st.size > 0 && (await filledByCopy(f));
    const fp = await fingerprint(f.fh, f.ident.fpLen);
    return fp.len !== f.ident.fpLen || fp.hash !== f.ident.fpHash;
  }

  async function retire(f: OpenFile): Promise<void> {
    // Truncated or rewritten before it left its path: what we had not read is gone (the
    // copytruncate race); reading what is there now could repeat copied lines, so stop here.
    if (await overwritten(f)) {
      h.info(`${f.path} was truncated or rewritten just before it was rotated; lines written in between may be missing`);
      f.carry = null;
      f.longHead = null;
      f.readPos = f.size = (await f.fh.stat()).size;
    }
    await readToEnd(f);
    f.drainSince = Date.now();
    draining.push(f);
  }

  async function closeFile(f: OpenFile): Promise<void> {
    rememberHead(f);
    flushCarry(f);
    h.onReset(f, 'closed');
    h.onClose(f);
    await f.fh.close().catch(() => undefined);
  }

  /** Checks a followed path for rotation/truncation, then reads it. */
  async function checkActive(path: string, f: OpenFile): Promise<void> {
    let st: Stats | null;
    try {
      st = await stat(path);
    } catch {
      st = null;
    }
    if (!st || st.ino !== f.ino || st.dev !== f.dev) {
      // Renamed away or deleted: finish the old file first, then (if any) the new one at this path.
      active.delete(path);
      await retire(f);
      if (st) {
        const nf = await openFile(path, f.source, 'start');
        if (nf) {
          active.set(path, nf);
          await readToEnd(nf);
        }
      }
      return;
    }
    if (st.size === f.size && st.mtimeMs === f.mtimeMs && f.readPos >= st.size) return;
    if (st.size < f.readPos) {
      f.size = st.size;
      await restart(f, 'truncated');
    } else if (f.ident.fpLen > 0) {
      f.size = st.size;
      const fp = await fingerprint(f.fh, f.ident.fpLen);
      if (fp.hash !== f.ident.fpHash || fp.len !== f.ident.fpLen) await restart(f, 'truncated and rewritten');
    }
    f.size = st.size;
    f.mtimeMs = st.mtimeMs;
    await readToEnd(f);
  }

  async function discover(): Promise<Array<[string, number]>> {
    const out: Array<[string, number]> = [];
    for (const [i, s] of sources.entries()) {
      if (!isGlob(s.path)) out.push([s.path, i]);
      else for (const p of await glob(s.path, { absolute: true, onlyFiles: true, dot: true })) out.push([p, i]);
    }
    return out;
  }

  /** Startup: files rotated while we were stopped are found by inode in their directory. */
  async function adoptOrphans(): Promise<void> {
    const byDir = new Map<string, FilePosition[]>();
    for (const cp of resume.values()) {
      const d = dirname(cp.path);
      byDir.set(d, [...(byDir.get(d) ?? []), cp]);
    }
    for (const [dir, cps] of byDir) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const p = join(dir, name);
        const st = await stat(p).catch(() => null);
        if (!st?.isFile()) continue;
        const cp = cps.find((c) => c.key === `${st.dev}:${st.ino}`);
        if (!cp || cp.offset >= st.size) continue;
        const src = sources.findIndex((s) => s.path === cp.path || isGlob(s.path));
        const f = await openFile(p, Math.max(0, src), 'resume');
        if (f && f.readPos > 0) {
          h.info(`${basename(cp.path)} was rotated to ${name} while stopped; shipping its last ${f.size - f.readPos} bytes`);
          await retire(f);
        } else if (f) {
          await closeFile(f);
        }
      }
    }
  }

  function watchDirs(): void {
    const dirs = new Set(sources.map((s) => (isGlob(s.path) ? dirname(s.path.split(/[*?[{]/)[0] + 'x') : dirname(s.path))));
    for (const d of dirs) {
      try {
        const w = watch(d, { persistent: false }, () => {
          woken = true;
          wake?.();
        });
        w.on('error', () => undefined);
        watchers.push(w);
      } catch {
        // No inotify (or missing dir): polling still works.
      }
    }
  }

  async function cycle(): Promise<void> {
    for (const [path, source] of await discover()) {
      if (closed) return;
      if (active.has(path)) continue;
      const f = await openFile(path, source, 'resume');
      if (f) active.set(path, f);
    }
    if (firstCycle) {
      // Inodes seen now are resumed; what is left in `resume` was rotated away while stopped.
      const opened = new Set([...active.values()].map((f) => f.ident.key));
      for (const k of [...resume.keys()]) if (opened.has(k)) resume.delete(k);
      await adoptOrphans();
      resume.clear();
      firstCycle = false;
    }
    const now = Date.now();
    for (const f of [...draining]) {
      if (closed) return;
      if (await overwritten(f)) {
        // Someone rewrote the rotated file in place (e.g. copied over it): its old content is gone.
        draining.splice(draining.indexOf(f), 1);
        f.carry = null;
        f.longHead = null;
        await closeFile(f);
        continue;
      }
      await readToEnd(f);
      if (now - Math.max(f.lastGrowth, f.drainSince) >= opts.rotateWaitMs) {
        draining.splice(draining.indexOf(f), 1);
        await closeFile(f);
      }
    }
    for (const [path, f] of [...active]) {
      if (closed) return;
      await checkActive(path, f);
    }
  }

  return {
    cycle,
    async run() {
      watchDirs();
      while (!closed) {
        woken = false;
        await cycle();
        if (closed || woken) continue;
        await new Promise<void>((res) => {
          const t = setTimeout(res, opts.pollIntervalMs);
          wake = () => {
            clearTimeout(t);
            res();
          };
        });
        wake = undefined;
      }
    },
    behindBytes() {
      let n = 0;
      for (const f of [...active.values(), ...draining]) n += Math.max(0, f.size - f.readPos);
      return n;
    },
    files() {
      return [...active.values(), ...draining];
    },
    async close() {
      closed = true;
      wake?.();
      for (const w of watchers) w.close();
      for (const f of [...active.values(), ...draining]) await f.fh.close().catch(() => undefined);
      active.clear();
      draining.length = 0;
    },
  };
}
