import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { execFileSync } from 'node:child_process';
import { FluentClient, EventTime } from '@fluent-org/logger';
import type { TestHub } from '../../helpers/hub.js';
import { freePort, spawnHub, tempDir, type HubProcess } from '../../helpers/hub.js';
import { eventTime, getLogs, waitForMetric, metricValue, startReceiverHub, waitForLogs } from '../../helpers/receivers.js';
import { waitFor } from '../../helpers/wait.js';

let hub: TestHub | undefined;
let proc: HubProcess | undefined;
const clients: FluentClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.disconnect().catch(() => undefined);
  await hub?.close();
  hub = undefined;
  await proc?.kill();
  proc = undefined;
});

type Mode = 'Message' | 'Forward' | 'PackedForward' | 'CompressedPackedForward';

function fluent(port: number, mode: Mode, sharedKey?: string): FluentClient {
  const c = new FluentClient('shop', {
    eventMode: mode,
    socket: { host: '127.0.0.1', port, timeout: 5_000, reconnect: { backoff: 1, delay: 50 } },
    ack: { ackTimeout: 5_000 },
    security: sharedKey ? { clientHostname: 'client-1', sharedKey } : undefined,
  });
  clients.push(c);
  return c;
}

const toEventTime = (d: Date) => new EventTime(Math.floor(d.getTime() / 1000), (d.getTime() % 1000) * 1_000_000 + 456);

describe('forward receiver', () => {
  for (const mode of ['Message', 'Forward', 'PackedForward', 'CompressedPackedForward'] as const) {
    it(`forward receiver - @fluent-org/logger ${mode} with acks: tag as service, EventTime to the ms, record keys mapped`, async () => {
      hub = await startReceiverHub({ forward: 0 });
      const client = fluent(hub.hub.receiverPorts.forward, mode);
      const t = eventTime();
      await Promise.all([
        client.emit('checkout', { message: 'paid', level: 'warn', hostname: 'pod-9', order: 7 }, toEventTime(t)),
        client.emit('checkout', { log: 'from docker', container_id: 'abc', source: 'stdout' }, toEventTime(new Date(t.getTime() + 1))),
        client.emit('other', { msg: 'own service', service: 'billing', time: '2026-01-01T00:00:00.321Z' }, toEventTime(t)),
      ]);
      const logs = await getLogs(hub, { service: 'shop.checkout' });
      expect(logs).toHaveLength(2);
      expect(logs[0]).toMatchObject({ timestamp: t.toISOString(), message: 'paid', severity: 'WARN', host: 'pod-9', fields: { order: 7 } });
      expect(logs[1]).toMatchObject({ timestamp: new Date(t.getTime() + 1).toISOString(), message: 'from docker', fields: { container_id: 'abc', source: 'stdout' } });
      // A record's own time key wins over the entry time; its service key over the tag.
      expect(await getLogs(hub, { service: 'billing' })).toMatchObject([{ message: 'own service', timestamp: '2026-01-01T00:00:00.321Z' }]);
      expect(await waitForMetric(hub, 'logwire_receiver_stored_records_total', { protocol: 'forward' }, 3)).toBe(3);
    });
  }

  it('forward receiver - python3-fluent-logger (Debian) with nanosecond EventTime', async () => {
    hub = await startReceiverHub({ forward: 0 });
    const t = Math.floor(Date.now() / 1000) - 60;
    const script = [
      'import sys',
      'from fluent import sender',
      `s = sender.FluentSender('py', host='127.0.0.1', port=${hub.hub.receiverPorts.forward}, nanosecond_precision=True)`,
      `ok = s.emit_with_time('worker', ${t}.25, {'message': 'job done', 'severity': 'error', 'host': 'py-host', 'job_id': 12})`,
      'sys.exit(0 if ok else 1)',
    ].join('\n');
    execFileSync('/usr/bin/python3', ['-c', script], { timeout: 10_000 });
    const [rec] = await waitForLogs(hub, 1, { service: 'py.worker' });
    expect(rec).toMatchObject({ message: 'job done', severity: 'ERROR', host: 'py-host', timestamp: new Date(t * 1000 + 250).toISOString(), fields: { job_id: 12 } });
  });

  it('forward receiver - shared-key handshake: the right key gets acks, a wrong key is refused and stores nothing', async () => {
    hub = await startReceiverHub({ forward: 0, forwardSharedKey: 's3cret' });
    const port = hub.hub.receiverPorts.forward;
    await fluent(port, 'PackedForward', 's3cret').emit('auth', { message: 'with key' });
    expect(await getLogs(hub, { service: 'shop.auth' })).toMatchObject([{ message: 'with key' }]);

    const wrong = fluent(port, 'PackedForward', 'nope');
    // The client keeps retrying after a failed handshake; its emit never resolves.
    wrong.emit('auth', { message: 'bad key' }).catch(() => undefined);
    await waitFor(() => metricValue(hub!, 'logwire_receiver_rejected_records_total', { protocol: 'forward', reason: 'unauthorized' }).then((n) => n > 0), { what: 'a refused handshake' });
    expect(await getLogs(hub, { service: 'shop.auth' })).toHaveLength(1);
  });

  it('forward receiver - kill -9 right after an ack: the record is there after restart', async () => {
    const dataDir = tempDir();
    try {
      const port = await freePort();
      proc = await spawnHub(['--port', '0', '--data', dataDir, '--forward', String(port)]);
      const client = fluent(port, 'CompressedPackedForward');
      for (let i = 0; i < 20; i++) await client.emit('crash', { message: `acked ${i}` });
      await proc.kill();
      await client.disconnect().catch(() => undefined);
      proc = await spawnHub(['--port', '0', '--data', dataDir]);
      const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      const res = await fetch(`${proc.url}/logs?service=shop.crash&limit=100`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { logs: Array<{ message: string }> };
      expect(body.logs.map((l) => l.message).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `acked ${i}`).sort());
    } finally {
      await proc?.kill();
      proc = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('forward receiver - garbage, a bad time entry and a message that never ends close that connection only; the hub stays healthy', async () => {
    hub = await startReceiverHub({ forward: 0, maxBodyBytes: 64 * 1024 });
    const port = hub.hub.receiverPorts.forward;
    const closedAfter = (bytes: Buffer) => new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write(bytes));
      s.on('error', () => undefined);
      s.on('close', () => resolve());
      setTimeout(() => reject(new Error('connection was not closed')), 5_000).unref();
    });
    await closedAfter(Buffer.from([0xc1, 0x00, 0x01])); // 0xc1 is never valid MessagePack
    await closedAfter(Buffer.from([0x92, 0xa1, 0x61, 0x05])); // ["a", 5]: not a Forward message
    // A bin32 header promising 1 MiB, over the 64 KiB limit, then data that never completes it.
    await closedAfter(Buffer.concat([Buffer.from([0x93, 0xa1, 0x61, 0xc6, 0x00, 0x10, 0x00, 0x00]), Buffer.alloc(70 * 1024)]));
    const health = await fetch(`${hub.url}/health`);
    expect(health.status).toBe(200);
    await fluent(port, 'Message').emit('after', { message: 'still fine' });
    await waitForLogs(hub, 1, { service: 'shop.after' });
    expect(await waitFor(() => metricValue(hub!, 'logwire_receiver_rejected_records_total', { protocol: 'forward', reason: 'bad_message' }).then((n) => n >= 2 && n))).toBeGreaterThanOrEqual(2);
  });
});
