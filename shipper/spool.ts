/**
 * The durable queue of batches between reading and the hub's ack. A batch is written here,
 * durably, BEFORE it is sent; its bytes are released only after the hub acked it and the
 * checkpoint covering it is durable. On restart every entry left here is sent again with its
 * original seq (the hub dedupes by shipper id + seq), so kill -9 at any moment loses nothing
 * and duplicates nothing.
 *
 * On disk (format version 2): append-only segment files `<stateDir>/spool/<first seq, 16
 * digits>.seg`, each
 *   "LWS2" | entry*
 *   entry = u32 BE payload length | u32 BE CRC-32 of payload | payload
 *   payload = u32 BE header length | header JSON {seq, lines, positions: FilePosition[]} | frame
 * where frame is the encoded MessagePack batch frame exactly as sent. Appends that arrive while
 * a write is in progress are written together (one writev) and share one fsync (group commit);
 * `append` resolves only after that fsync. A new segment is started when the current one
 * passes SEGMENT_BYTES; a segment is deleted once every entry in it is acked and checkpointed.
 * After a crash the last segment may end in a torn entry (short or bad CRC): it and anything
 * after it were never reported as spooled, so never sent, and their lines are read again.
 * Writing resumes in a new segment, never after a torn tail.
 *
 * Version 1 (one `<seq>.batch` file per batch: "LWS1" | u32 BE header length | header | frame)
 * is still read at startup, so an upgrade loses nothing; such files are deleted once acked.
 *
 * Memory stays bounded: frames are kept in memory up to `memoryBytes`, beyond that they are
 * read back from disk when sent.
 */
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import type { FilePosition } from './checkpoint.js';
import { syncDir } from './checkpoint.js';

const MAGIC_V1 = Buffer.from('LWS1');
const MAGIC_V2 = Buffer.from('LWS2');
/** Start a new segment once the current one is this large. */
const SEGMENT_BYTES = 32 * 1024 * 1024;

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

interface Segment {
  path: string;
  /** Entries in it not yet removed. */
  live: number;
  /** Still being appended to. */
  open: boolean;
}

const segName = (seq: number) => `${String(seq).padStart(16, '0')}.seg`;
const batchName = (seq: number) => `${String(seq).padStart(16, '0')}.batch`;

function encodeEntry(seq: number, lines: number, positions: FilePosition[], frame: Buffer): { head: Buffer; frameAt: number } {
  const header = Buffer.from(JSON.stringify({ seq, lines, positions }));
  const head = Buffer.allocUnsafe(12 + header.length);
  const payloadLen = 4 + header.length + frame.length;
  head.writeUInt32BE(payloadLen, 0);
  head.writeUInt32BE(header.length, 8);
  header.copy(head, 12);
  head.writeUInt32BE(crc32(frame, crc32(head.subarray(8))), 4);
  return { head, frameAt: head.length };
}

interface Parsed {
  seq: number;
  lines: number;
  positions: FilePosition[];
  frameOffset: number;
  frameLength: number;
  size: number;
}

/** Parses the entries of a v2 segment; stops at the first torn or damaged one. */
function parseSegment(buf: Buffer): { entries: Parsed[]; clean: boolean } {
  const entries: Parsed[] = [];
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC_V2)) return { entries, clean: buf.length === 0 };
  let at = 4;
  while (at < buf.length) {
    if (at + 12 > buf.length) return { entries, clean: false };
    const len = buf.readUInt32BE(at);
    const crc = buf.readUInt32BE(at + 4);
    if (len < 4 || at + 8 + len > buf.length) return { entries, clean: false };
    const payload = buf.subarray(at + 8, at + 8 + len);
    if (crc32(payload) !== crc) return { entries, clean: false };
    const hlen = payload.readUInt32BE(0);
    if (4 + hlen > len) return { entries, clean: false };
    try {
      const h = JSON.parse(payload.subarray(4, 4 + hlen).toString()) as { seq: number; lines: number; positions: FilePosition[] };
      entries.push({ ...h, frameOffset: at + 12 + hlen, frameLength: len - 4 - hlen, size: 8 + len });
    } catch {
      return { entries, clean: false };
    }
    at += 8 + len;
  }
  return { entries, clean: true };
}

function parseV1(buf: Buffer, name: string): Parsed | undefined {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC_V1)) return undefined;
  const hlen = buf.readUInt32BE(4);
  if (8 + hlen > buf.length) return undefined;
  try {
    const h = JSON.parse(buf.subarray(8, 8 + hlen).toString()) as { seq: number; lines: number; positions: FilePosition[] };
    if (batchName(h.seq) !== name) return undefined;
    return { ...h, frameOffset: 8 + hlen, frameLength: buf.length - 8 - hlen, size: buf.length };
  } catch {
    return undefined;
  }
}

/** Opens the spool, loading every batch left from a previous run (in seq order). */
export async function openSpool(dir: string, opts: SpoolOptions, warn: (msg: string) => void = () => undefined): Promise<Spool> {
  await mkdir(dir, { recursive: true });
  const queue: SpoolEntry[] = [];
  const where = new Map<SpoolEntry, Located>();
  let bytes = 0;
  let unacked = 0;
  let memory = 0;
  let maxSeq = 0;

  const loaded: Array<{ p: Parsed; seg: Segment }> = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if (name.endsWith('.tmp')) {
      await unlink(path).catch(() => undefined); // v1: an unsent batch whose lines are read again
      continue;
    }
    if (name.endsWith('.batch')) {
      const p = parseV1(await readFile(path), name);
      if (!p) {
        warn(`spool file ${path} is damaged and was set aside as ${name}.bad`);
        await rename(path, `${path}.bad`).catch(() => undefined);
        continue;
      }
      loaded.push({ p, seg: { path, live: 0, open: false } });
    } else if (name.endsWith('.seg')) {
      const { entries, clean } = parseSegment(await readFile(path));
      const seg: Segment = { path, live: 0, open: false };
      for (const p of entries) loaded.push({ p, seg });
      if (!clean) warn(`spool segment ${path} ends in an incomplete entry (a crash while writing); those lines will be read again`);
      if (entries.length === 0) await unlink(path).catch(() => undefined);
    }
  }
  loaded.sort((a, b) => a.p.seq - b.p.seq);
  const segs = new Set(loaded.map((l) => l.seg));
  for (const { p, seg } of loaded) {
    maxSeq = Math.max(maxSeq, p.seq);
    if (p.seq <= (opts.ackedThrough ?? 0)) continue;
    const e: SpoolEntry = { seq: p.seq, size: p.size, lines: p.lines, positions: p.positions, frame: null, acked: false };
    queue.push(e);
    where.set(e, { seg, frameOffset: p.frameOffset, frameLength: p.frameLength });
    seg.live++;
    bytes += p.size;
    unacked += p.size;
  }
  for (const seg of segs) if (seg.live === 0) await unlink(seg.path).catch(() => undefined);

  // --- the segment being appended to, and group commit
  let cur: { seg: Segment; fh: FileHandle; size: number } | undefined;
  type Job = { seq: number; frame: Buffer; positions: FilePosition[]; lines: number; resolve: (e: SpoolEntry) => void; reject: (err: unknown) => void };
  let jobs: Job[] = [];
  let writing: Promise<void> | undefined;

  async function startSegment(firstSeq: number): Promise<void> {
    if (cur) {
      cur.seg.open = false;
      await cur.fh.close();
      if (cur.seg.live === 0) await unlink(cur.seg.path).catch(() => undefined);
    }
    const path = join(dir, segName(firstSeq));
    const fh = await open(path, 'w', 0o600);
    await fh.write(MAGIC_V2, 0, 4, 0);
    // The new file's name must survive a crash along with the entries synced into it.
    if (opts.fsync) {
      await fh.sync();
      await syncDir(dir);
    }
    cur = { seg: { path, live: 0, open: true }, fh, size: 4 };
  }

  async function writeLoop(): Promise<void> {
    while (jobs.length > 0) {
      const group = jobs;
      jobs = [];
      try {
        if (!cur || cur.size >= SEGMENT_BYTES) await startSegment(group[0].seq);
        const seg = cur!;
        const bufs: Buffer[] = [];
        const placed: Array<{ job: Job; e: SpoolEntry; loc: Located }> = [];
        let at = seg.size;
        for (const job of group) {
          const { head, frameAt } = encodeEntry(job.seq, job.lines, job.positions, job.frame);
          const size = head.length + job.frame.length;
          bufs.push(head, job.frame);
          const e: SpoolEntry = { seq: job.seq, size, lines: job.lines, positions: job.positions, frame: null, acked: false };
          placed.push({ job, e, loc: { seg: seg.seg, frameOffset: at + frameAt, frameLength: job.frame.length } });
          at += size;
        }
        let off = seg.size;
        // writev may write less than asked; go on from where it stopped.
        let rest = bufs;
        while (rest.length > 0) {
          const { bytesWritten } = await seg.fh.writev(rest, off);
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
        if (opts.fsync) await seg.fh.sync();
        seg.size = at;
        for (const { job, e, loc } of placed) {
          const keep = memory + job.frame.length <= opts.memoryBytes;
          if (keep) {
            memory += job.frame.length;
            e.frame = job.frame;
          }
          queue.push(e);
          where.set(e, loc);
          loc.seg.live++;
          bytes += e.size;
          unacked += e.size;
          job.resolve(e);
        }
      } catch (err) {
        for (const job of group) job.reject(err);
      }
    }
    writing = undefined;
  }

  function dropFrame(e: SpoolEntry): void {
    if (e.frame) memory -= e.frame.length;
    e.frame = null;
  }

  return {
    get entries() {
      return queue;
    },
    get bytes() {
      return bytes;
    },
    get unackedBytes() {
      return unacked;
    },
    get maxSeq() {
      return maxSeq;
    },
    append(seq, frame, positions, lines) {
      if (seq <= maxSeq) return Promise.reject(new Error(`spool seq ${seq} is not above ${maxSeq}`));
      maxSeq = seq;
      return new Promise<SpoolEntry>((resolve, reject) => {
        jobs.push({ seq, frame, positions, lines, resolve, reject });
        writing ??= writeLoop();
      });
    },
    async frame(entry) {
      if (entry.frame) return entry.frame;
      const loc = where.get(entry);
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
    },
    ack(seq, andBelow = false) {
      for (const e of queue) {
        if (e.seq === seq || (andBelow && e.seq <= seq)) e.acked = true;
        if (e.seq >= seq) break;
      }
      let n = 0;
      while (n < queue.length && queue[n].acked) n++;
      const done = queue.splice(0, n);
      for (const e of done) {
        dropFrame(e);
        unacked -= e.size;
      }
      return done;
    },
    async remove(entries) {
      for (const e of entries) {
        const loc = where.get(e);
        if (!loc) continue;
        where.delete(e);
        bytes -= e.size;
        if (--loc.seg.live > 0 || loc.seg.open) continue;
        await unlink(loc.seg.path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
    },
    async close() {
      while (writing) await writing;
      if (cur) {
        await cur.fh.close().catch(() => undefined);
        cur.seg.open = false;
        if (cur.seg.live === 0) await unlink(cur.seg.path).catch(() => undefined);
        cur = undefined;
      }
    },
  };
}
