/**
 * tail-cli never crashes on a record it can print: times out of any Date's range, missing
 * fields, a number as message, 64-bit integers in fields, in every output format, live and
 * from history.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../tail-cli/config.js';
import { createFormatter } from '../../../tail-cli/output.js';
import { toPrintable } from '../../../tail-cli/printable.js';
import { startSession } from '../../../tail-cli/run.js';
import { waitFor } from '../../helpers/wait.js';
import { makeRecord, startFakeHub } from './fake-hub.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const ODD: Array<Record<string, unknown>> = [
  { id: 'o1', ts: 1e20, rts: 1_743_508_800_000, service: 'svc', severity: 'INFO', message: 'far future' },
  { id: 'o2', ts: -8.7e15, rts: Number.NaN, service: 'svc', severity: 'LOUD', message: 'before any date' },
  { id: 'o3', ts: 1_743_508_800_000, message: 'no service, severity or rts' },
  { id: 'o4', ts: 1_743_508_800_000, rts: 1_743_508_800_000, service: 'svc', severity: 'WARN', message: 42, fields: 'not a map' },
  { id: 'o5', ts: 1_743_508_800_000, rts: 1_743_508_800_000, service: 'svc', severity: 'ERROR', message: 'big int', fields: { n: 2n ** 63n } },
];

describe('printable', () => {
  it('printable - odd records become printable ones; every format prints them', () => {
    for (const format of ['pretty', 'json', 'raw'] as const) {
      const f = createFormatter({ format, color: true });
      for (const raw of ODD) {
        const r = toPrintable(raw)!;
        expect(r, JSON.stringify(raw, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBeDefined();
        const out = f(r);
        expect(out.endsWith('\n')).toBe(true);
      }
    }
    expect(toPrintable(ODD[0])!.timestamp).toBe('100000000000000000000');
    expect(toPrintable(ODD[2])).toMatchObject({ service: '-', severity: '-', received_at: '-' });
    expect(toPrintable(ODD[3])).toMatchObject({ message: '42', fields: { value: 'not a map' } });
    expect(createFormatter({ format: 'json', color: false })(toPrintable(ODD[4])!)).toContain('"n":"9223372036854775808"');
    expect(toPrintable('just a string')).toBeUndefined();
  });

  it('printable - a live tail receiving odd records prints them all and keeps going', async () => {
    // One ordinary stored record: the session starts after it (no catch-up query over odd ones).
    const h = await startFakeHub({ records: [makeRecord()] });
    cleanups.push(() => h.close());
    for (const output of ['pretty', 'json', 'raw']) {
      const cfg = buildConfig({ hub: h.url, token: h.token, output }, { env: {}, isTTY: false });
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (d: Buffer) => (text += d.toString()));
      const s = startSession(cfg, { stdout, notice: () => undefined, live: { backoffInitialMs: 20, backoffMaxMs: 100 } });
      let failed: unknown;
      s.done.catch((err: unknown) => (failed = err));
      await waitFor(() => h.clients() === 1, { what: 'live tail connected' });
      h.append(...(ODD as never[]), { message: `after the odd ones ${output}` });
      await waitFor(() => text.includes(`after the odd ones ${output}`), { what: `${output}: the record after the odd ones` });
      expect(failed).toBeUndefined();
      for (const m of ['far future', 'before any date', 'no service', '42', 'big int']) expect(text, output).toContain(m);
      await s.stop();
      await waitFor(() => h.clients() === 0, { what: 'live tail closed' });
    }
  });
});
