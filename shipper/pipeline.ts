/**
 * Wiring: tail → parse → batch → spool → send, and acks → checkpoint → spool cleanup.
 *
 * Order of durability (what makes kill -9 safe): a batch gets its seq, is written to the spool
 * (with the file positions it covers) and only then sent; on ack the checkpoint is advanced to
 * those positions and written atomically, and only then is the batch released from the spool.
 * At startup spooled batches at or below the checkpoint's seq are skipped (already covered), the
 * resume point of each file is the checkpoint with every other spooled batch's positions applied
 * in seq order, and those batches are sent again with their original seqs.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { encodeFrame, type AckFrame } from '../hub/protocol/index.js';
import type { ShipperConfig } from './config.js';
import { cleanTemp, createCheckpointWriter, loadShipperId, pruneCheckpoint, readCheckpoint, type FilePosition } from './checkpoint.js';
import { lockStateDir } from './lock.js';
import { openSpool, type SpoolEntry } from './spool.js';
import { createBatcher, splitBatch, type Batch } from './batch.js';
import { createLineParser, type LineParser, type ShipRecord } from './parse.js';
import { createTailer, type TailedFile, type Tailer } from './tail.js';
import { createSender, type LinkState } from './send.js';

/** Spooled frames kept in memory (beyond this they are re-read from disk to be sent). */
const SPOOL_MEMORY_BYTES = 4 * 1024 * 1024;
/** Batches (and their bytes) waiting for the spool's write + fsync before reading waits. */
const MAX_PENDING_APPENDS = 8;
const MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** Unacked bytes (spooled + pending) beyond which reading waits while connected. */
const CONNECTED_READ_AHEAD_BYTES = SPOOL_MEMORY_BYTES;
/** Acks within this interval share one checkpoint write (and fsync). */
const CHECKPOINT_INTERVAL_MS = 50;
/** How often acks also prune the checkpoint of files long gone. */
const PRUNE_EVERY_MS = 3_600_000;

export interface ShipperStats {
  shipperId: string;
  linesRead: number;
  recordsSpooled: number;
  recordsAcked: number;
  recordsRejected: number;
  batchesAcked: number;
  spoolBatches: number;
  spoolBytes: number;
  behindBytes: number;
  hubState: LinkState;
  hubUrl: string;
  lastAckedSeq: number;
}

export interface Shipper {
  readonly shipperId: string;
  stats(): ShipperStats;
  /** Adds a record that does not come from a file (simulate). */
  add(record: ShipRecord, sizeHint: number): void;
  /** Resolves with the reason when the shipper cannot go on (e.g. the token is refused). */
  readonly fatal: Promise<Error>;
  /** Stops reading, spools what was read, waits briefly for acks, releases the state dir. */
  close(opts?: { drainMs?: number }): Promise<void>;
}

/** A fatal condition for a person (one line). */
export class ShipperError extends Error {
  override name = 'ShipperError';
}

export async function startShipper(cfg: ShipperConfig, log: Logger, mode: 'files' | 'external' = 'files'): Promise<Shipper> {
  const shipperId = await loadShipperId(cfg.stateDir);
  const release = await lockStateDir(cfg.stateDir);
  await cleanTemp(cfg.stateDir);
  let failFatal!: (e: Error) => void;
  const fatal = new Promise<Error>((res) => (failFatal = res));

  const cp = await readCheckpoint(cfg.stateDir);
  const spool = await openSpool(join(cfg.stateDir, 'spool'), { fsync: cfg.spool.fsync, memoryBytes: SPOOL_MEMORY_BYTES, ackedThrough: cp.lastSeq }, (m) => log.warn(m));
  const resume = new Map<string, FilePosition>(Object.entries(cp.files));
  for (const e of spool.entries) for (const p of e.positions) resume.set(p.key, p);
  let seq = Math.max(cp.lastSeq, spool.maxSeq);
  if (spool.entries.length) log.info(`${spool.entries.length} unacked batch(es) in the spool from the last run will be sent again`);
  const cpWriter = createCheckpointWriter(cfg.stateDir, cfg.spool.fsync);

  const st = { linesRead: 0, recordsSpooled: 0, recordsAcked: 0, recordsRejected: 0, batchesAcked: 0 };

  // --- spool appends (the spool writes them in call order, group-committed), with backpressure on reading
  let appendChain: Promise<unknown> = Promise.resolve();
  let pendingAppends = 0;
  let pendingBytes = 0;
  let gateWaiters: Array<() => void> = [];
  let warnedFull = false;
  // While the hub keeps up, read ahead only as far as the frames kept in memory, so none is read
  // back from disk to be sent; while it is down, spool up to the cap (rotation may delete files).
  const blocked = () =>
    pendingAppends >= MAX_PENDING_APPENDS ||
    pendingBytes >= MAX_PENDING_BYTES ||
    spool.bytes + pendingBytes >= cfg.spool.maxBytes ||
    (sender.state === 'connected' && spool.unackedBytes + pendingBytes >= CONNECTED_READ_AHEAD_BYTES);
  const releaseGate = () => {
    if (blocked() || gateWaiters.length === 0) return;
    const w = gateWaiters;
    gateWaiters = [];
    for (const r of w) r();
  };
  const gate = (): Promise<void> | undefined => {
    if (!blocked()) return undefined;
    if (spool.bytes + pendingBytes >= cfg.spool.maxBytes && !warnedFull) {
      warnedFull = true;
      log.warn(`spool is full (${Math.round(spool.bytes / 1048576)} MB of ${Math.round(cfg.spool.maxBytes / 1048576)} MB): reading paused until the hub acks; nothing is dropped`);
    }
    return new Promise<void>((res) => gateWaiters.push(res));
  };

  /** The hub's frame limit from its welcome (0 = not known yet). */
  let hubMaxBatchBytes = 0;
  const onBatch = (b: Batch): void => {
    const s = seq + 1;
    const packed = encodeFrame({ type: 'batch', seq: s, records: b.records as unknown as Record<string, unknown>[] });
    if (hubMaxBatchBytes > 0 && packed.length > hubMaxBatchBytes && b.records.length > 1) {
      // The hub would refuse the frame (close 1009) and we would retry it forever: split it.
      const [x, y] = splitBatch(b);
      onBatch(x);
      onBatch(y);
      return;
    }
    seq = s;
    // msgpackr returns a view into a shared target buffer up to 4× the frame's size; a frame kept
    // (pending, spooled in memory) would pin that whole buffer, so keep an exact-size copy.
    const frame = Buffer.allocUnsafeSlow(packed.length);
    packed.copy(frame);
    pendingAppends++;
    pendingBytes += frame.length;
    st.recordsSpooled += b.records.length;
    appendChain = spool
      .append(s, frame, b.positions, b.records.length)
      .then(
        () => {
          pendingAppends--;
          pendingBytes -= frame.length;
          sender.notify();
          releaseGate();
        },
        (err: NodeJS.ErrnoException) => failFatal(new ShipperError(`cannot write the spool in ${cfg.stateDir}: ${err.code ?? err.message}`)),
      );
  };
  const batcher = createBatcher(cfg.batch, onBatch);

  // --- acks → checkpoint → spool cleanup
  let lastPruneMs = 0;
  const onAcked = (done: SpoolEntry[], ack: AckFrame | undefined): void => {
    if (ack?.rejected?.length) {
      st.recordsRejected += ack.rejected.length;
      const reasons = ack.rejected.slice(0, 5).map((r) => `#${r.index} ${r.reason}`).join(', ');
      log.warn(`hub rejected ${ack.rejected.length} record(s) of batch ${ack.seq} (${reasons}${ack.rejected.length > 5 ? ', …' : ''}); they are not retried`);
    }
    if (done.length === 0) return;
    const now = Date.now();
    for (const e of done) {
      for (const p of e.positions) cp.files[p.key] = { ...p, ackedMs: now };
      cp.lastSeq = Math.max(cp.lastSeq, e.seq);
      st.recordsAcked += e.lines;
      st.batchesAcked++;
    }
    if (now - lastPruneMs > PRUNE_EVERY_MS && tailer) {
      lastPruneMs = now;
      const n = pruneCheckpoint(cp, new Set(tailer.files().map((f) => f.ident.key)), now);
      if (n > 0) log.info(`forgot the read positions of ${n} file(s) not followed for over a week`);
    }
    toRelease.push(...done);
    cpTimer ??= setTimeout(() => void writeCheckpoint(), CHECKPOINT_INTERVAL_MS);
  };
  // Acks are folded into one checkpoint write per interval; their batches stay in the spool until
  // it is durable (after a crash they are seen as acked in the welcome, not stored again).
  let toRelease: SpoolEntry[] = [];
  let cpTimer: NodeJS.Timeout | undefined;
  const writeCheckpoint = (): Promise<void> => {
    clearTimeout(cpTimer);
    cpTimer = undefined;
    const done = toRelease;
    toRelease = [];
    return cpWriter
      .write(cp)
      .then(() => spool.remove(done))
      .then(releaseGate, (err: NodeJS.ErrnoException) => failFatal(new ShipperError(`cannot write the checkpoint in ${cfg.stateDir}: ${err.code ?? err.message}`)));
  };

  const sender = createSender(
    { ...cfg.send, shipperId, host: cfg.host },
    spool,
    {
      onWelcome(w, url) {
        if (w.max_batch_bytes > 0) {
          hubMaxBatchBytes = w.max_batch_bytes;
          batcher.setMaxBytes(Math.floor(w.max_batch_bytes * 0.8));
        }
        if (w.acked > seq) {
          // We never sent that seq: another client uses our shipper id (or the hub's state is not
          // ours). Trusting it would drop every spooled batch at or below it as "already stored".
          log.error(
            `hub ${url} says batch ${w.acked} of shipper ${shipperId} is stored, but this shipper never sent above ${seq}: another client may be using this shipper id. ` +
              `Nothing is discarded: ${spool.entries.length} batch(es) stay in the spool in ${cfg.stateDir} and sending is retried. ` +
              `Check that no other shipper runs with a copy of this state directory; to ship under a new id, stop this shipper and delete ${join(cfg.stateDir, 'shipper.id')}.`,
          );
          return false;
        }
        return true;
      },
      onAcked,
      onAuthRejected(url, status) {
        failFatal(new ShipperError(`hub ${url} refused the token (HTTP ${status}${status === 403 ? ': it lacks the ingest scope' : ''}); check --token / LOGWIRE_TOKEN`));
      },
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      debug: (m) => log.debug(m),
    },
  );

  // --- reading
  let tailer: Tailer | undefined;
  const parsers = new Map<TailedFile, LineParser>();
  let flushTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  if (mode === 'files') {
    tailer = createTailer(
      cfg.sources.map((s) => ({ path: s.path, maxLineBytes: s.maxLineBytes })),
      cfg.tail,
      resume,
      {
        onOpen(f) {
          const src = cfg.sources[f.source];
          log.debug(`following ${f.path} from byte ${f.readPos}`);
          parsers.set(f, createLineParser({ ...src, file: f.path }, (rec, end, size) => batcher.add(rec, size, f.ident, end)));
        },
        onLine(f, line, end, truncated, nowMs) {
          st.linesRead++;
          parsers.get(f)?.push(line, end, truncated, nowMs);
        },
        onReset(f) {
          parsers.get(f)?.flush();
        },
        onClose(f) {
          parsers.delete(f);
        },
        gate,
        warn: (m) => log.warn(m),
        info: (m) => log.info(m),
      },
    );
    const flushEvery = Math.max(10, Math.min(...cfg.sources.map((s) => s.multilineFlushMs), 1000) / 4);
    flushTimer = setInterval(() => {
      const now = Date.now();
      for (const p of parsers.values()) p.flushIfIdle(now);
      releaseGate(); // the hub may have gone down: reading may go on into the spool
    }, flushEvery);
    void tailer.run().catch((err: NodeJS.ErrnoException) => {
      if (!stopping) failFatal(new ShipperError(`reading files failed: ${err.code ?? err.message}`));
    });
  }
  sender.start();

  return {
    shipperId,
    fatal,
    add(record, sizeHint) {
      batcher.add(record, sizeHint);
    },
    stats() {
      return {
        shipperId,
        ...st,
        spoolBatches: spool.entries.length,
        spoolBytes: spool.bytes,
        behindBytes: tailer?.behindBytes() ?? 0,
        hubState: sender.state,
        hubUrl: sender.url,
        lastAckedSeq: cp.lastSeq,
      };
    },
    async close(opts = {}) {
      stopping = true;
      clearInterval(flushTimer);
      await tailer?.close();
      for (const r of gateWaiters) r();
      batcher.flush();
      batcher.close();
      await appendChain;
      const deadline = Date.now() + (opts.drainMs ?? 3000);
      while (spool.entries.length > 0 && sender.state === 'connected' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await sender.close();
      await writeCheckpoint();
      await cpWriter.close().catch(() => undefined);
      await spool.close().catch(() => undefined);
      await release();
    },
  };
}
