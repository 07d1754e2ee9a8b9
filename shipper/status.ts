/**
 * The live status line on a TTY (stderr): lines/s, bytes behind, spool size, hub state. Log
 * lines clear it first (see log.ts) so the two never mix.
 */
import type { ShipperStats } from './pipeline.js';

export interface StatusLine {
  /** Erases the line (before something else is written). */
  clear(): void;
  close(): void;
}

function mb(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

export function formatStatus(s: ShipperStats, linesPerSec: number): string {
  const hub = s.hubState === 'connected' ? `hub ${s.hubUrl}` : s.hubState === 'down' ? `hub DOWN (${s.hubUrl})` : 'connecting';
  return `${Math.round(linesPerSec).toLocaleString('en')} lines/s · ${mb(s.behindBytes)} behind · spool ${s.spoolBatches} batch(es) ${mb(s.spoolBytes)} · ${s.recordsAcked.toLocaleString('en')} acked · ${hub}`;
}

/** Starts the status line when `stream` is a TTY; otherwise a no-op. */
export function createStatusLine(stream: NodeJS.WriteStream, stats: () => ShipperStats): StatusLine {
  if (!stream.isTTY) return { clear() {}, close() {} };
  let shown = false;
  let lastLines = stats().linesRead;
  let lastAt = Date.now();
  const timer = setInterval(() => {
    const s = stats();
    const now = Date.now();
    const rate = ((s.linesRead - lastLines) * 1000) / Math.max(1, now - lastAt);
    lastLines = s.linesRead;
    lastAt = now;
    stream.write(`\r\x1b[K${formatStatus(s, rate).slice(0, (stream.columns ?? 120) - 1)}`);
    shown = true;
  }, 1000);
  timer.unref();
  return {
    clear() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
    close() {
      clearInterval(timer);
      this.clear();
    },
  };
}
