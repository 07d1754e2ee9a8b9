import { describe, expect, it } from 'vitest';
import { createIngestRateMeter } from '../../../hub/query/ingest-rate.js';

describe('query/ingest-rate', () => {
  it('query/ingest-rate - is zero until two samples exist', () => {
    const m = createIngestRateMeter(() => 0, { autostart: false });
    expect(m.rate()).toBe(0);
    m.sample(100, 1000);
    expect(m.rate()).toBe(0);
  });

  it('query/ingest-rate - averages over the time sampled so far', () => {
    const m = createIngestRateMeter(() => 0, { autostart: false });
    m.sample(0, 0);
    m.sample(500, 1000);
    m.sample(1500, 2000);
    expect(m.rate()).toBe(750);
  });

  it('query/ingest-rate - forgets samples older than the window', () => {
    const m = createIngestRateMeter(() => 0, { autostart: false, windowS: 60 });
    // A burst of 60000 in the first second, then 100/s for two minutes.
    m.sample(0, 0);
    let total = 60_000;
    for (let s = 1; s <= 120; s++) {
      m.sample(total, s * 1000);
      total += 100;
    }
    expect(m.rate()).toBe(100);
  });

  it('query/ingest-rate - samples a source on a timer and stops on close', async () => {
    let n = 0;
    const m = createIngestRateMeter(() => (n += 10), { intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 60));
    m.close();
    expect(m.rate()).toBeGreaterThan(0);
    const seen = n;
    await new Promise((r) => setTimeout(r, 30));
    expect(n).toBe(seen);
  });
});
