/**
 * Ingest rate over a sliding window (records/s over the last minute) for GET /stats.
 *
 * A ring of cumulative totals, one sample per second: the rate is (newest − oldest) / their time
 * apart, so reading it is O(1) however busy the hub is. Samples come from a monotonic counter
 * (the `logwire_ingest_records_total` metric), which deletes never decrease.
 */

export interface IngestRateMeter {
  /** Records per second over the window (or over the time sampled so far, when shorter). */
  rate(): number;
  /** Adds a sample; exposed for tests. */
  sample(total: number, atMs: number): void;
  close(): void;
}

export const RATE_WINDOW_S = 60;

export function createIngestRateMeter(readTotal: () => Promise<number> | number, opts: { windowS?: number; intervalMs?: number; autostart?: boolean } = {}): IngestRateMeter {
  const windowS = opts.windowS ?? RATE_WINDOW_S;
  const size = windowS + 1;
  const totals = new Float64Array(size);
  const times = new Float64Array(size);
  let count = 0;
  let head = 0; // next slot to write
  let timer: NodeJS.Timeout | undefined;

  const meter: IngestRateMeter = {
    sample(total, atMs) {
      totals[head] = total;
      times[head] = atMs;
      head = (head + 1) % size;
      if (count < size) count++;
    },
    rate() {
      if (count < 2) return 0;
      const newest = (head - 1 + size) % size;
      const oldest = (head - count + size) % size;
      const dtS = (times[newest] - times[oldest]) / 1000;
      if (dtS <= 0) return 0;
      const r = (totals[newest] - totals[oldest]) / dtS;
      return r > 0 ? Math.round(r * 100) / 100 : 0;
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };

  if (opts.autostart !== false) {
    let busy = false;
    const tick = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        meter.sample(await readTotal(), Date.now());
      } catch {
        // The source is gone (hub closing): sampling stops being useful, nothing else to do.
      } finally {
        busy = false;
      }
    };
    void tick();
    timer = setInterval(() => void tick(), opts.intervalMs ?? 1000);
    timer.unref();
  }
  return meter;
}
