/**
 * Switching a host from the legacy Python agent (docs/shipper.md "Switching from the Python
 * agent"): on the first start, its `STATE_FILE` is imported so nothing is shipped twice and
 * nothing is skipped.
 *
 * The agent's state file is JSON written by its StateManager:
 *   {"last_position": <byte offset in LOG_FILE just past the last line it read>,
 *    "pending_batches": [{"id": "<md5>", "data": ["<line>", …], "timestamp": <epoch s>, "retry_count": n}, …]}
 * Lines up to `last_position` were either sent by the agent or sit in `pending_batches` (read,
 * not yet accepted by its API). So: the pending lines are spooled first, as ordinary batches
 * (durable before anything is sent), then `LOG_FILE` resumes at `last_position`.
 *
 * "First start" means an empty checkpoint and an empty spool: once imported, the checkpoint
 * holds the position, and the legacy file is never read again (it is left in place, so a host
 * can switch back). A crash in the middle of the import is safe: the spool is written (fsync)
 * before the checkpoint, and a non-empty spool already counts as "not the first start", its
 * batches carrying the same position.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { encodeFrame } from '../hub/protocol/index.js';
import { createBatcher, type Batch } from './batch.js';
import { StateError, type Checkpoint, type CheckpointWriter, type FilePosition } from './checkpoint.js';
import type { ShipperConfig } from './config.js';
import { openRegularFile } from './discovery.js';
import { fingerprint, FP_MAX } from './file-identity.js';
import { createLineParser } from './parse.js';
import type { Spool } from './spool.js';

export interface LegacyState {
  lastPosition: number;
  /** Lines of each pending batch, oldest batch first, with the time the agent read them (epoch ms). */
  pending: Array<{ lines: string[]; readMs: number }>;
}

/** Reads the agent's state file; undefined when there is none. Throws StateError when it cannot be understood. */
export async function readLegacyState(path: string): Promise<LegacyState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(`cannot read the legacy agent's state file ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  let v: { last_position?: unknown; pending_batches?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    throw new StateError(`the legacy agent's state file ${path} is not valid JSON; fix it, or move it away to ship ${'LOG_FILE'} from its start`);
  }
  const pos = Number(v?.last_position ?? 0);
  if (!Number.isSafeInteger(pos) || pos < 0) throw new StateError(`the legacy agent's state file ${path} has no valid last_position`);
  const batches = Array.isArray(v.pending_batches) ? (v.pending_batches as Array<{ data?: unknown; timestamp?: unknown }>) : [];
  const pending = batches
    .map((b) => ({
      lines: (Array.isArray(b?.data) ? b.data : [b?.data]).filter((l) => l !== undefined && l !== null).map((l) => (typeof l === 'string' ? l : JSON.stringify(l))),
      readMs: typeof b?.timestamp === 'number' && Number.isFinite(b.timestamp) ? Math.round(b.timestamp * 1000) : Date.now(),
    }))
    .filter((b) => b.lines.length > 0)
    .sort((a, b) => a.readMs - b.readMs);
  return { lastPosition: pos, pending };
}

/** Where LOG_FILE resumes: `last_position` in the file as it is now (its start if it is shorter). */
async function resumePosition(logFile: string, lastPosition: number, log: Logger): Promise<FilePosition | undefined> {
  const opened = await openRegularFile(logFile).catch(() => undefined);
  if (!opened) return undefined;
  const { fh, st } = opened;
  try {
    const fp = await fingerprint(fh, Math.min(FP_MAX, st.size));
    let offset = lastPosition;
    if (offset > st.size) {
      log.info(`${logFile} is shorter than the legacy agent's last position ${lastPosition} (rotated or truncated since): reading it from its start`);
      offset = 0;
    }
    return { key: `${st.dev}:${st.ino}`, path: logFile, fpLen: fp.len, fpHash: fp.hash, offset };
  } finally {
    await fh.close();
  }
}

/** Spools the pending lines as batches covering `pos` (seqs from 1); returns the number of lines. */
async function spoolPending(cfg: ShipperConfig, state: LegacyState, pos: FilePosition, spool: Spool, logFile: string): Promise<number> {
  const source = cfg.sources.find((s) => s.path === logFile) ?? cfg.sources[0];
  const batches: Batch[] = [];
  const batcher = createBatcher({ ...cfg.batch, intervalMs: 3_600_000 }, (b) => batches.push(b));
  const { offset, ...ident } = pos;
  let lines = 0;
  for (const b of state.pending) {
    // The agent stripped each line, so indentation no longer marks continuations: one line, one record.
    const parser = createLineParser({ ...source, file: logFile, multiline: 'off' }, (rec, _end, size) => batcher.add(rec, size, ident, offset));
    for (const line of b.lines) parser.push(line, offset, false, b.readMs);
    parser.flush();
    lines += b.lines.length;
  }
  batcher.flush();
  batcher.close();
  let seq = spool.maxSeq;
  for (const b of batches) {
    seq++;
    await spool.append(seq, encodeFrame({ type: 'batch', seq, records: b.records as unknown as Record<string, unknown>[] }), b.positions, b.records.length);
  }
  return lines;
}

/** Imports the legacy state on the first start (see the header); a no-op otherwise. */
export async function importLegacyState(
  cfg: ShipperConfig,
  legacy: { stateFile: string; logFile?: string },
  st: { cp: Checkpoint; cpWriter: CheckpointWriter; spool: Spool },
  log: Logger,
): Promise<void> {
  if (st.cp.lastSeq > 0 || Object.keys(st.cp.files).length > 0 || st.spool.maxSeq > 0) return;
  const state = await readLegacyState(legacy.stateFile);
  if (!state) return;
  if (!legacy.logFile) throw new StateError(`found the legacy agent's state file ${legacy.stateFile} but not which file it followed: set LOG_FILE (or one --file)`);
  const pos = await resumePosition(legacy.logFile, state.lastPosition, log);
  if (!pos) {
    log.warn(`legacy agent state ${legacy.stateFile}: ${legacy.logFile} cannot be opened now; its position is not imported (the file is shipped from its start when it appears)`);
    return;
  }
  const lines = await spoolPending(cfg, state, pos, st.spool, legacy.logFile);
  st.cp.files[pos.key] = { ...pos, ackedMs: Date.now() };
  await st.cpWriter.write(st.cp);
  log.info(`imported the legacy agent's state ${legacy.stateFile}: ${legacy.logFile} resumes at byte ${pos.offset}; ${state.pending.length} pending batch(es) (${lines} line(s)) are sent first`);
}
