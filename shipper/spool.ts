/**
 * The durable queue of batches between reading and the hub's ack. A batch is written here,
 * durably, BEFORE it is sent; its file is deleted only after the hub acked it and the
 * checkpoint covering it is durable. On restart every file left here is sent again with its
 * original seq (the hub dedupes by shipper id + seq), so kill -9 at any moment loses nothing
 * and duplicates nothing.
 *
 * On disk: `<stateDir>/spool/<seq, 16 digits>.batch`, each
 *   "LWS1" | u32 BE header length | header JSON {seq, lines, positions: FilePosition[]} | frame
 * where frame is the encoded MessagePack batch frame exactly as sent. Files are written to
 * `.tmp`, (optionally) fsynced, then renamed; a leftover `.tmp` is an unsent batch whose lines
 * will be read again, so it is simply removed.
 *
 * Memory stays bounded: frames are kept in memory up to `memoryBytes`, beyond that they are
 * read back from disk when sent.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FilePosition } from './checkpoint.js';
import { syncDir } from './checkpoint.js';

const MAGIC = Buffer.from('LWS1');

export interface SpoolEntry {
  seq: number;
  /** Size of the spool file. */
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
}

export interface Spool {
  /** Unacked entries in seq order (acked ones leave once their prefix is complete). */
  readonly entries: readonly SpoolEntry[];
  /** Bytes of spool files not yet removed. */
  readonly bytes: number;
  /** Highest seq ever spooled (0 when none). */
  readonly maxSeq: number;
  /** Writes a batch durably and queues it; resolves once it is safe to send. */
  append(seq: number, frame: Buffer, positions: FilePosition[], lines: number): Promise<SpoolEntry>;
  /** The entry's frame, from memory or disk. */
  frame(entry: SpoolEntry): Promise<Buffer>;
  /**
   * Marks a seq acked (and every seq below it when `andBelow`). Returns the entries that now
   * form a fully acked prefix; they are out of the queue but their files remain until `remove`.
   */
  ack(seq: number, andBelow?: boolean): SpoolEntry[];
  /** Deletes the files of entries whose ack is covered by a durable checkpoint. */
  remove(entries: SpoolEntry[]): Promise<void>;
}

function fileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.batch`;
}

function encodeEntry(seq: number, lines: number, positions: FilePosition[], frame: Buffer): Buffer {
  const header = Buffer.from(JSON.stringify({ seq, lines, positions }));
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(header.length);
  return Buffer.concat([MAGIC, len, header, frame]);
}

function decodeEntry(buf: Buffer, name: string): { seq: number; lines: number; positions: FilePosition[]; frameOffset: number } | undefined {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) return undefined;
  const hlen = buf.readUInt32BE(4);
  if (8 + hlen > buf.length) return undefined;
  try {
    const h = JSON.parse(buf.subarray(8, 8 + hlen).toString()) as { seq: number; lines: number; positions: FilePosition[] };
    if (fileName(h.seq) !== name) return undefined;
    return { ...h, frameOffset: 8 + hlen };
  } catch {
    return undefined;
  }
}

/** Opens the spool, loading every batch left from a previous run (in seq order). */
export async function openSpool(dir: string, opts: SpoolOptions, warn: (msg: string) => void = () => undefined): Promise<Spool> {
  await mkdir(dir, { recursive: true });
  const queue: SpoolEntry[] = [];
  let bytes = 0;
  let memory = 0;
  let maxSeq = 0;
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if (name.endsWith('.tmp')) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (!name.endsWith('.batch')) continue;
    const buf = await readFile(path);
    const h = decodeEntry(buf, name);
    if (!h) {
      // Renamed into place only after a complete write, so this is outside damage; keep it for a person.
      warn(`spool file ${path} is damaged and was set aside as ${name}.bad`);
      await rename(path, `${path}.bad`).catch(() => undefined);
      continue;
    }
    queue.push({ seq: h.seq, size: buf.length, lines: h.lines, positions: h.positions, frame: null, acked: false });
    bytes += buf.length;
    maxSeq = Math.max(maxSeq, h.seq);
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
    get maxSeq() {
      return maxSeq;
    },
    async append(seq, frame, positions, lines) {
      if (seq <= maxSeq) throw new Error(`spool seq ${seq} is not above ${maxSeq}`);
      maxSeq = seq;
      const data = encodeEntry(seq, lines, positions, frame);
      const path = join(dir, fileName(seq));
      const fh = await open(`${path}.tmp`, 'w', 0o600);
      try {
        await fh.writeFile(data);
        if (opts.fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(`${path}.tmp`, path);
      if (opts.fsync) await syncDir(dir);
      const keep = memory + frame.length <= opts.memoryBytes;
      if (keep) memory += frame.length;
      const entry: SpoolEntry = { seq, size: data.length, lines, positions, frame: keep ? frame : null, acked: false };
      queue.push(entry);
      bytes += data.length;
      return entry;
    },
    async frame(entry) {
      if (entry.frame) return entry.frame;
      const buf = await readFile(join(dir, fileName(entry.seq)));
      const h = decodeEntry(buf, fileName(entry.seq));
      if (!h) throw new Error(`spool file for seq ${entry.seq} is damaged`);
      return buf.subarray(h.frameOffset);
    },
    ack(seq, andBelow = false) {
      for (const e of queue) {
        if (e.seq === seq || (andBelow && e.seq <= seq)) e.acked = true;
        if (e.seq >= seq) break;
      }
      let n = 0;
      while (n < queue.length && queue[n].acked) n++;
      const done = queue.splice(0, n);
      for (const e of done) dropFrame(e);
      return done;
    },
    async remove(entries) {
      for (const e of entries) {
        await unlink(join(dir, fileName(e.seq))).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        bytes -= e.size;
      }
    },
  };
}
