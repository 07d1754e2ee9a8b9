/**
 * A hub that answers `welcome.acked` above anything this shipper ever sent (another client took
 * over its shipper id, docs/protocol.md) must not make the shipper drop its spool: it says so at error
 * level, keeps every batch, and ships them all once a trustworthy welcome comes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { decodeFrame, encodeFrame } from '../../../hub/protocol/index.js';
import { tempDir } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { line, spawnShipper, type ShipperProcess } from './helpers.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('shipper welcome', () => {
  it('shipper - welcome.acked above anything sent: spool kept, error logged, every line shipped once later', async () => {
    const dir = tempDir('lw-welcome-');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    let lie = true;
    const received = new Map<number, number>();
    let batchesWhileLying = 0;
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/v1/ingest' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    cleanup.push(() => new Promise<void>((r) => wss.close(() => r())));
    wss.on('connection', (ws) => {
      const lying = lie;
      ws.on('message', (data: Buffer) => {
        const r = decodeFrame(data);
        if (!r.ok) return;
        const f = r.frame as { type: string; seq?: number; records?: Array<{ message: string }> };
        if (f.type === 'hello') ws.send(encodeFrame({ type: 'welcome', hub: 'fake', acked: lying ? Number.MAX_SAFE_INTEGER : 0, max_batch_bytes: 1 << 20, max_inflight: 4 }));
        else if (f.type === 'batch') {
          if (lying) batchesWhileLying++;
          for (const rec of f.records!) {
            const n = Number(/ L(\d+) /.exec(rec.message)?.[1]);
            received.set(n, (received.get(n) ?? 0) + 1);
          }
          ws.send(encodeFrame({ type: 'ack', seq: f.seq!, stored: f.records!.length, rejected: [] }));
        }
      });
    });
    const file = join(dir, 'app.log');
    const state = join(dir, 'state');
    writeFileSync(file, '');
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const shipper: ShipperProcess = spawnShipper(['--hub', url, '--token', 't', '--file', file, '--service', 'w', '--state-dir', state, '--no-status', '--log-level', 'warn', '--retry-base-ms', '50']);
    cleanup.push(() => shipper.kill());
    let text = '';
    for (let i = 1; i <= 2000; i++) text += `${line(i)}\n`;
    appendFileSync(file, text);

    await waitFor(() => /"level":50.*never sent above/.test(shipper.stderr()), { timeoutMs: 15_000, what: 'an error-level log about the impossible welcome' });
    const spooled = () => readdirSync(join(state, 'spool')).filter((n) => n.endsWith('.seg')).reduce((n, f) => n + statSync(join(state, 'spool', f)).size - 4, 0);
    await waitFor(() => spooled() > 100_000, { timeoutMs: 15_000, what: 'the lines kept in the spool' });
    expect(shipper.stderr()).toMatch(/another client may be using this shipper id/);
    expect(batchesWhileLying).toBe(0);
    expect(received.size).toBe(0);

    lie = false;
    await waitFor(() => received.size >= 2000, { timeoutMs: 60_000, what: 'every line after a trustworthy welcome' });
    expect([...received.values()].every((c) => c === 1)).toBe(true);
    await shipper.stop();
  }, 90_000);
});
