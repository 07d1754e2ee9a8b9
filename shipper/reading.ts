/**
 * Files → records → batches: the tailer's lines go through one parser per open file (which
 * holds that file's multiline state) into the batcher. A record still waiting for continuation
 * lines is emitted after `multilineFlushMs` idle; the timer runs only while some record waits,
 * so an idle shipper does not wake up for nothing.
 */
import type { Batcher } from './batch.js';
import type { SourceConfig, TailConfig } from './config.js';
import type { FilePosition } from './checkpoint.js';
import { createLineParser, type LineParser } from './parse.js';
import { createTailer, type TailedFile, type Tailer } from './tail.js';

export interface FileReadingEvents {
  gate(): Promise<void> | undefined;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export interface FileReading {
  readonly tailer: Tailer;
  linesRead: number;
  /** Runs until closed; rejects when reading fails. */
  run(): Promise<void>;
  close(): Promise<void>;
}

export function startFileReading(sources: readonly SourceConfig[], tail: TailConfig, resume: Map<string, FilePosition>, batcher: Batcher, ev: FileReadingEvents): FileReading {
  const parsers = new Map<TailedFile, LineParser>();
  const flushEveryMs = Math.max(10, Math.min(...sources.map((s) => s.multilineFlushMs), 1000) / 4);
  let flushTimer: NodeJS.Timeout | undefined;

  const flushIdle = (): void => {
    flushTimer = undefined;
    const now = Date.now();
    let waiting = false;
    for (const p of parsers.values()) {
      p.flushIfIdle(now);
      waiting ||= p.pending;
    }
    if (waiting) flushTimer = setTimeout(flushIdle, flushEveryMs);
  };

  const reading: FileReading = {
    linesRead: 0,
    tailer: createTailer(
      sources.map((s) => ({ path: s.path, maxLineBytes: s.maxLineBytes })),
      tail,
      resume,
      {
        onOpen(f) {
          ev.debug(`following ${f.path} from byte ${f.readPos}`);
          parsers.set(f, createLineParser({ ...sources[f.source], file: f.path }, (rec, end, size) => batcher.add(rec, size, f.ident, end)));
        },
        onLine(f, line, end, truncated, nowMs) {
          reading.linesRead++;
          const p = parsers.get(f);
          if (!p) return;
          p.push(line, end, truncated, nowMs);
          if (p.pending && !flushTimer) flushTimer = setTimeout(flushIdle, flushEveryMs);
        },
        onReset(f) {
          parsers.get(f)?.flush();
        },
        onClose(f) {
          parsers.delete(f);
        },
        // Caught up with every file: what was read goes out now instead of after the batch interval.
        onCaughtUp() {
          if (batcher.size > 0) batcher.flush();
        },
        gate: () => ev.gate(),
        warn: (m) => ev.warn(m),
        info: (m) => ev.info(m),
      },
    ),
    run() {
      return reading.tailer.run();
    },
    async close() {
      clearTimeout(flushTimer);
      // A record still waiting for continuation lines is not spooled: its lines are read again
      // next time, so the record stays whole.
      await reading.tailer.close();
    },
  };
  return reading;
}
