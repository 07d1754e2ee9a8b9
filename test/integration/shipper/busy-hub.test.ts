/**
 * The real shipper against the real hub at its memory bound (--max-queued-bytes, README "Memory
 * bounds"): the hub closes the shipper's connection with 1013 again and again while its pipelined
 * batches do not fit; the shipper backs off, reconnects, resends what was not acked, and in the
 * end every line is stored exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { adminToken, allMessages, exactlyOnce, hubTotal, line, spawnShipper, type ShipperProcess } from './helpers.js';

const LINES = 20_000;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('shipper busy hub', () => {
  it('shipper - a hub closing with 1013 (busy) loses and duplicates nothing: every line stored once', async () => {
    const dir = tempDir('lw-busy-');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // One frame decoded at a time (1 byte of inflight budget) and ~1.5 batches queued at most.
    const hub: HubProcess = await spawnHub(['--port', '0', '--data', join(dir, 'hub'), '--max-inflight-bytes', '1', '--max-queued-bytes', '150000']);
    cleanup.push(() => hub.kill());
    const token = adminToken(join(dir, 'hub'));
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    let text = '';
    for (let i = 1; i <= LINES; i++) text += `${line(i)}\n`;
    appendFileSync(file, text);
    const shipper: ShipperProcess = spawnShipper(['--hub', hub.wsUrl, '--token', token, '--file', file, '--service', 'busy', '--state-dir', join(dir, 'state'), '--no-status', '--log-level', 'debug', '--retry-base-ms', '50']);
    cleanup.push(() => shipper.kill());
    await waitFor(async () => (await hubTotal(hub.url, token)) >= LINES, { timeoutMs: 60_000, what: `all ${LINES} lines stored` });
    expect(shipper.stderr()).toMatch(/1013/);
    const messages = await allMessages(hub.url, token);
    expect(exactlyOnce(messages, LINES)).toEqual({ missing: [], duplicated: [] });
    expect(messages).toHaveLength(LINES);
  }, 90_000);
});
