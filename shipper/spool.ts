/**
 * The durable queue of batches between reading and the hub's ack. A batch is written here,
 * durably, BEFORE it is sent; its bytes are released only after the hub acked it and the
 * checkpoint covering it is durable. On restart every entry left here is sent again with its
 * original seq (the hub dedupes by shipper id + seq), so kill -9 at any moment loses nothing
 * and duplicates nothing.
 *
 * On disk: segment files in `<stateDir>/spool/` (format: spool-format.ts; appending with group
 * commit: spool-writer.ts). A segment is deleted once every entry in it is acked and
 * checkpointed. After a crash the last segment may end in a torn entry: it was never reported
 * as spooled, so never sent, and its lines are read again.
 *
 * Memory stays bounded: frames are kept in memory up to `memoryBytes`, beyond that they are
 * read back from disk when sent.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FilePosition } from './checkpoint.js';
import { parseSegment, parseV1, type ParsedEntry } from './spool-format.js';
import { SegmentWriter, type Segment } from './spool-writer.js';

export interface SpoolEntry {
  seq: number;
  /** Bytes this entry takes on disk. */
  size: number;
  lines: number;
  positions: FilePosition[];
  /** The encoded frame, or null when only on disk. */
  frame: Buffer | null;
  acked: boolean;
}

export interface SpoolOptions {
  fsync: boolean;
  /** Frames kept in memory up to this many bytes in total. */
  memoryBytes: number;
  /**
   * Seqs up to this one are acked and covered by the durable checkpoint (its `lastSeq`): left
   * in a segment that also holds later entries, they are not loaded again.
   */
  ackedThrough?: number;
}

export interface Spool {
  /** Unacked entries in seq order (acked ones leave once their prefix is complete). */
  readonly entries: readonly SpoolEntry[];
  /** Bytes of entries not yet removed (acked-but-not-checkpointed included). */
  readonly bytes: number;
  /** Bytes of entries not acked yet. */
  readonly unackedBytes: number;
  /** Highest seq ever spooled (0 when none). */
  readonly maxSeq: number;
  /**
   * Writes a batch durably and queues it; resolves once it is safe to send. Calls may overlap:
   * entries are written in call order, and overlapping calls share one write and one fsync.
   */
  append(seq: number, frame: Buffer, positions: FilePosition[], lines: number): Promise<SpoolEntry>;
  /** The entry's frame, from memory or disk. */
  frame(entry: SpoolEntry): Promise<Buffer>;
  /**
   * Marks a seq acked (and every seq below it when `andBelow`). Returns the entries that now
   * form a fully acked prefix; they are out of the queue but stay on disk until `remove`.
   */
  ack(seq: number, andBelow?: boolean): SpoolEntry[];
  /** Releases entries whose ack is covered by a durable checkpoint (deleting emptied segments). */
  remove(entries: SpoolEntry[]): Promise<void>;
  /** Finishes pending writes and closes the segment file. */
  close(): Promise<void>;
}

/** Where an entry's frame lives on disk, and the segment that holds it. */
interface Located {
  seg: Segment;
  frameOffset: number;
  frameLength: number;
}

/** Reads every entry left in `dir` by a previous run, in seq order, setting damaged files aside. */
async function loadDir(dir: string, warn: (msg: string) => void): Promise<Array<{ p: ParsedEntry; seg: Segment }>> {
  const loaded: Array<{ p: ParsedEntry; seg: Segment }> = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if (name.endsWith('.tmp')) {
      await unlink(path).catch(() => undefined); // v1: an unsent batch whose lines are read again
    } else if (name.endsWith('.batch')) {
      const p = parseV1(await readFile(path), name);
      if (p) loaded.push({ p, seg: { path, live: 0, open: false } });
      else {
        warn(`spool file ${path} is damaged and was set aside as ${name}.bad`);
        await rename(path, `${path}.bad`).catch(() => undefined);
      }
    } else if (name.endsWith('.seg')) {
      const { entries, clean } = parseSegment(await readFile(path));
      const seg: Segment = { path, live: 0, open: false };
      for (const p of entries) loaded.push({ p, seg });
      if (!clean) warn(`spool segment ${path} ends in an incomplete entry (a crash while writing); those lines will be read again`);
      if (entries.length === 0) await unlink(path).catch(() => undefined);
    }
  }
  return loaded.sort((a, b) => a.p.seq - b.p.seq);
}

class DiskSpool implements Spool {
  private readonly queue: SpoolEntry[] = [];
  private readonly where = new Map<SpoolEntry, Located>();
  private readonly writer: SegmentWriter;
  private total = 0;
  private unacked = 0;
  private memory = 0;
  private highest = 0;

  constructor(private readonly opts: SpoolOptions, dir: string) {
    this.writer = new SegmentWriter(dir, opts.fsync);
  }

  /** Queues what a previous run left (entries at or below `ackedThrough` are done). */
  async adopt(loaded: Array<{ p: ParsedEntry; seg: Segment }>): Promise<void> {
    const segs = new Set(loaded.map((l) => l.seg));
    for (const { p, seg } of loaded) {
      this.highest = Math.max(this.highest, p.seq);
      if (p.seq <= (this.opts.ackedThrough ?? 0)) continue;
      this.enqueue({ seq: p.seq, size: p.size, lines: p.lines, positions: p.positions, frame: null, acked: false }, { seg, frameOffset: p.frameOffset, frameLength: p.frameLength });
      seg.live++;
    }
    for (const seg of segs) if (seg.live === 0) await unlink(seg.path).catch(() => undefined);
  }

  get entries(): readonly SpoolEntry[] {
    return this.queue;
  }

  get bytes(): number {
    return this.total;
  }

  get unackedBytes(): number {
    return this.unacked;
  }

  get maxSeq(): number {
    return this.highest;
  }

  async append(seq: number, frame: Buffer, positions: FilePosition[], lines: number): Promise<SpoolEntry> {
    if (seq <= this.highest) throw new Error(`spool seq ${seq} is not above ${this.highest}`);
    this.highest = seq;
    const w = await this.writer.append(seq, frame, positions, lines);
    const e: SpoolEntry = { seq, size: w.size, lines, positions, frame: null, acked: false };
    if (this.memory + frame.length <= this.opts.memoryBytes) {
      this.memory += frame.length;
      e.frame = frame;
    }
    this.enqueue(e, { seg: w.seg, frameOffset: w.frameOffset, frameLength: frame.length });
    return e;
  }

  async frame(entry: SpoolEntry): Promise<Buffer> {
    if (entry.frame) return entry.frame;
    const loc = this.where.get(entry);
    if (!loc) throw new Error(`spool entry for seq ${entry.seq} is gone`);
    const fh = await open(loc.seg.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(loc.frameLength);
      const { bytesRead } = await fh.read(buf, 0, loc.frameLength, loc.frameOffset);
      if (bytesRead !== loc.frameLength) throw new Error(`spool entry for seq ${entry.seq} is damaged`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  ack(seq: number, andBelow = false): SpoolEntry[] {
    for (const e of this.queue) {
      if (e.seq === seq || (andBelow && e.seq <= seq)) e.acked = true;
      if (e.seq >= seq) break;
    }
    let n = 0;
    while (n < this.queue.length && this.queue[n].acked) n++;
    const done = this.queue.splice(0, n);
    for (const e of done) {
      if (e.frame) this.memory -= e.frame.length;
      e.frame = null;
      this.unacked -= e.size;
    }
    return done;
  }

  async remove(entries: SpoolEntry[]): Promise<void> {
    for (const e of entries) {
      const loc = this.where.get(e);
      if (!loc) continue;
      this.where.delete(e);
      this.total -= e.size;
      if (--loc.seg.live > 0 || loc.seg.open) continue;
      await unlink(loc.seg.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }

  close(): Promise<void> {
    return this.writer.close();
  }

  private enqueue(e: SpoolEntry, loc: Located): void {
    this.queue.push(e);
    this.where.set(e, loc);
    this.total += e.size;
    this.unacked += e.size;
  }
}

/** Opens the spool, loading every batch left from a previous run (in seq order). */
export async function openSpool(dir: string, opts: SpoolOptions, warn: (msg: string) => void = () => undefined): Promise<Spool> {
  await mkdir(dir, { recursive: true });
  const spool = new DiskSpool(opts, dir);
  await spool.adopt(await loadDir(dir, warn));
  return spool;
}
