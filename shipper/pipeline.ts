/**
 * Wiring: tail → parse → batch → spool → send (reading.ts, batch-spool.ts, send.ts), and
 * acks → checkpoint → spool cleanup (ack-commit.ts), with backpressure on reading
 * (backpressure.ts).
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
import type { ShipperConfig } from './config.js';
import { cleanTemp, createCheckpointWriter, loadShipperId, readCheckpoint, type FilePosition } from './checkpoint.js';
import { lockStateDir } from './lock.js';
import { openSpool } from './spool.js';
import { createBatcher } from './batch.js';
import type { ShipRecord } from './parse.js';
import { createSender, type LinkState } from './send.js';
import { ReadGate } from './backpressure.js';
import { AckCommitter } from './ack-commit.js';
import { BatchSpooler } from './batch-spool.js';
import { startFileReading, type FileReading } from './reading.js';
import { importLegacyState } from './legacy-state.js';

/** Spooled frames kept in memory (beyond this they are re-read from disk to be sent). */
const SPOOL_MEMORY_BYTES = 4 * 1024 * 1024;
/** On close, how long to wait for the acks of what is in flight (SIGTERM must end within 1 s). */
const DEFAULT_DRAIN_MS = 300;

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
  const failed = (what: string) => (err: NodeJS.ErrnoException) => failFatal(new ShipperError(`cannot write the ${what} in ${cfg.stateDir}: ${err.code ?? err.message}`));

  const cp = await readCheckpoint(cfg.stateDir);
  const spool = await openSpool(join(cfg.stateDir, 'spool'), { fsync: cfg.spool.fsync, memoryBytes: SPOOL_MEMORY_BYTES, ackedThrough: cp.lastSeq }, (m) => log.warn(m));
  const cpWriter = createCheckpointWriter(cfg.stateDir, cfg.spool.fsync);
  if (cfg.legacy && mode === 'files') await importLegacyState(cfg, cfg.legacy, { cp, cpWriter, spool }, log);
  const resume = new Map<string, FilePosition>(Object.entries(cp.files));
  for (const e of spool.entries) for (const p of e.positions) resume.set(p.key, p);
  if (spool.entries.length) log.info(`${spool.entries.length} unacked batch(es) in the spool from the last run will be sent again`);

  let reading: FileReading | undefined;
  const gate = new ReadGate(spool, {
    spoolMaxBytes: cfg.spool.maxBytes,
    connectedReadAheadBytes: SPOOL_MEMORY_BYTES,
    connected: () => sender.state === 'connected',
    onFull: (bytes) => log.warn(`spool is full (${Math.round(bytes / 1048576)} MB of ${Math.round(cfg.spool.maxBytes / 1048576)} MB): reading paused until the hub acks; nothing is dropped`),
  });
  const spooler = new BatchSpooler(spool, gate, Math.max(cp.lastSeq, spool.maxSeq), { onSpooled: () => sender.notify(), onError: failed('spool') });
  const batcher = createBatcher(cfg.batch, (b) => spooler.add(b));
  const acks = new AckCommitter(cp, cpWriter, spool, {
    openKeys: () => new Set(reading?.tailer.files().map((f) => f.ident.key)),
    onReleased: () => gate.release(),
    onError: failed('checkpoint'),
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });

  // close() waits for the acks of what is in flight: woken by acks and by the link going down.
  let drainWaiter: (() => void) | undefined;
  const checkDrained = () => {
    if (drainWaiter && (spool.entries.length === 0 || sender.state !== 'connected')) drainWaiter();
  };

  const sender = createSender({ ...cfg.send, shipperId, host: cfg.host }, spool, {
    onWelcome(w, url) {
      if (w.max_batch_bytes > 0) {
        spooler.hubMaxBatchBytes = w.max_batch_bytes;
        batcher.setMaxBytes(Math.floor(w.max_batch_bytes * 0.8));
      }
      if (w.acked <= spooler.seq) return true;
      // We never sent that seq: another client uses our shipper id (or the hub's state is not
      // ours). Trusting it would drop every spooled batch at or below it as "already stored".
      log.error(
        `hub ${url} says batch ${w.acked} of shipper ${shipperId} is stored, but this shipper never sent above ${spooler.seq}: another client may be using this shipper id. ` +
          `Nothing is discarded: ${spool.entries.length} batch(es) stay in the spool in ${cfg.stateDir} and sending is retried. ` +
          `Check that no other shipper runs with a copy of this state directory; to ship under a new id, stop this shipper and delete ${join(cfg.stateDir, 'shipper.id')}.`,
      );
      return false;
    },
    onAcked(done, ack) {
      acks.onAcked(done, ack);
      gate.release();
      checkDrained();
    },
    onAuthRejected(url, status) {
      failFatal(new ShipperError(`hub ${url} refused the token (HTTP ${status}${status === 403 ? ': it lacks the ingest scope' : ''}); check --token / LOGWIRE_TOKEN`));
    },
    // The hub went down: reading may go on into the spool, up to its cap.
    onDown() {
      gate.release();
      checkDrained();
    },
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
    debug: (m) => log.debug(m),
  });

  let stopping = false;
  if (mode === 'files') {
    reading = startFileReading(cfg.sources, cfg.tail, resume, batcher, { gate: () => gate.wait(), debug: (m) => log.debug(m), info: (m) => log.info(m), warn: (m) => log.warn(m) });
    void reading.run().catch((err: NodeJS.ErrnoException) => {
      if (!stopping) failFatal(new ShipperError(`reading files failed: ${err.code ?? err.message}`));
    });
  }
  sender.start();

  /** Resolves when everything spooled is acked, the link is down, or `ms` have passed. */
  const acksOrTimeout = (ms: number) =>
    new Promise<void>((res) => {
      const t = setTimeout(res, ms);
      drainWaiter = () => {
        clearTimeout(t);
        res();
      };
      checkDrained();
    });

  return {
    shipperId,
    fatal,
    add(record, sizeHint) {
      batcher.add(record, sizeHint);
    },
    stats() {
      return {
        shipperId,
        linesRead: reading?.linesRead ?? 0,
        recordsSpooled: spooler.recordsSpooled,
        ...acks.stats,
        spoolBatches: spool.entries.length,
        spoolBytes: spool.bytes,
        behindBytes: reading?.tailer.behindBytes() ?? 0,
        hubState: sender.state,
        hubUrl: sender.url,
        lastAckedSeq: acks.lastSeq,
      };
    },
    async close(opts = {}) {
      stopping = true;
      await reading?.close();
      gate.openAll();
      batcher.flush();
      batcher.close();
      await spooler.settled();
      await acksOrTimeout(opts.drainMs ?? DEFAULT_DRAIN_MS);
      drainWaiter = undefined;
      await sender.close();
      await acks.commit();
      await cpWriter.close().catch(() => undefined);
      await spool.close().catch(() => undefined);
      await release();
    },
  };
}
