import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';
import { waitFor } from '../../helpers/wait.js';
import { encode } from '../../../hub/protocol/codec.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const all = () => [...hub.hub.ctx.store.query({}, { order: 'asc' })];

describe('ingest', () => {
  it('ingest - hello, welcome, batch and ack after the records are stored', async () => {
    hub = await startTestHub();
    const c = await connectIngest(hub.wsUrl, hub.token);
    const welcome = await handshake(c, 'shipper-a');
    expect(welcome).toMatchObject({ type: 'welcome', hub: hub.hub.ctx.store.hubId, acked: 0, max_inflight: 8 });
    expect(welcome.max_batch_bytes).toBeGreaterThan(0);
    c.send({ type: 'batch', seq: 1, records: [{ service: 'payments', severity: 'err', message: 'declined' }, { message: 'no service' }] });
    const ack = await c.next();
    expect(ack).toEqual({ type: 'ack', seq: 1, stored: 2, rejected: [] });
    const stored = all();
    expect(stored.map((r) => [r.service, r.severity, r.message, r.host])).toEqual([
      ['payments', 'ERROR', 'declined', 'test-host'],
      ['unknown', 'INFO', 'no service', 'test-host'],
    ]);
    expect(new Set(stored.map((r) => r.id)).size).toBe(2);
    c.close();
  });

  it('ingest - a bad record is rejected alone with a reason; the rest is stored', async () => {
    hub = await startTestHub();
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 's');
    c.send({ type: 'batch', seq: 5, records: [{ message: 'ok 1' }, { service: 'x'.repeat(129), message: 'm' }, 42, { message: 'ok 2', timestamp: 'not a time' }, { message: 'ok 3' }] });
    expect(await c.next()).toEqual({
      type: 'ack', seq: 5, stored: 2,
      rejected: [{ index: 1, reason: 'service_too_long' }, { index: 2, reason: 'not_a_map' }, { index: 3, reason: 'invalid_timestamp' }],
    });
    expect(all().map((r) => r.message)).toEqual(['ok 1', 'ok 3']);
  });

  it('ingest - a resent seq is acked again, not stored again, across reconnects and hub restarts', async () => {
    hub = await startTestHub({ keepData: true });
    const dataDir = hub.dataDir;
    let c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'dup');
    c.send({ type: 'batch', seq: 1, records: [{ message: 'one' }] });
    c.send({ type: 'batch', seq: 2, records: [{ message: 'two' }] });
    expect((await c.next()).type).toBe('ack');
    expect((await c.next()).type).toBe('ack');
    c.close();
    c = await connectIngest(hub.wsUrl, hub.token);
    expect((await handshake(c, 'dup')).acked).toBe(2);
    c.send({ type: 'batch', seq: 2, records: [{ message: 'two' }] });
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 2, stored: 0, duplicate: true });
    c.close();
    await hub.close();

    hub = await startTestHub({ dataDir });
    c = await connectIngest(hub.wsUrl, hub.token);
    expect((await handshake(c, 'dup')).acked).toBe(2);
    c.send({ type: 'batch', seq: 1, records: [{ message: 'one' }] });
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 1, stored: 0 });
    c.send({ type: 'batch', seq: 9, records: [{ message: 'nine' }] }); // gaps are allowed
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 9, stored: 1 });
    expect(all().map((r) => r.message)).toEqual(['one', 'two', 'nine']);
    c.close();
  });

  it('ingest - upgrade without a valid token is refused with 401, without the ingest scope with 403', async () => {
    hub = await startTestHub({ tokens: [
      { token: 'admin-t', scopes: ['admin'] },
      { token: 'reader', scopes: ['read'] },
      { token: 'svc', scopes: ['ingest'], services: ['payments'] },
    ] });
    await expect(connectIngest(hub.wsUrl, undefined)).rejects.toMatchObject({ status: 401 });
    await expect(connectIngest(hub.wsUrl, 'wrong')).rejects.toMatchObject({ status: 401 });
    const refused = await connectIngest(hub.wsUrl, 'reader').catch((e) => e);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'HUB_ERR_FORBIDDEN' });
    // Token scheme works too; a service-bound token writes only its services.
    const c = await connectIngest(hub.wsUrl, 'svc', 'Token');
    await handshake(c, 'svc-shipper');
    c.send({ type: 'batch', seq: 1, records: [{ message: 'default service' }, { service: 'payments', message: 'own' }, { service: 'auth', message: 'other' }] });
    expect(await c.next()).toEqual({ type: 'ack', seq: 1, stored: 2, rejected: [{ index: 2, reason: 'forbidden_service' }] });
    expect(all().map((r) => r.service)).toEqual(['payments', 'payments']);
  });

  it('ingest - protocol errors send an error frame, then the close code that says why', async () => {
    hub = await startTestHub({ config: { maxBatchBytes: 4096, maxInflight: 2 } });
    const cases: Array<[string, (c: Awaited<ReturnType<typeof connectIngest>>) => Promise<void> | void, number, string]> = [
      ['batch before hello', (c) => c.send({ type: 'batch', seq: 1, records: [] }), 1008, 'hello_required'],
      ['text frame', (c) => c.sendRaw('{"type":"hello"}', false), 1003, 'text_frame'],
      ['malformed msgpack', (c) => c.sendRaw(Buffer.from([0xc1, 0xff, 0x00])), 1007, 'malformed_frame'],
      ['truncated msgpack', (c) => c.sendRaw(encode({ type: 'hello', shipper: 'abc' }).subarray(0, 8)), 1007, 'malformed_frame'],
      ['not a map', (c) => c.sendRaw(encode([1, 2])), 1008, 'malformed_frame'],
      ['unknown type', (c) => c.send({ type: 'subscribe' }), 1008, 'unknown_frame'],
      ['bad hello', (c) => c.send({ type: 'hello', shipper: '' }), 1008, 'bad_hello'],
      ['wrong version', (c) => c.send({ type: 'hello', shipper: 's', version: 99 }), 1008, 'unsupported_version'],
      ['too big', async (c) => { await handshake(c, 'big'); c.send({ type: 'batch', seq: 1, records: [{ message: 'x'.repeat(10_000) }] }); }, 1009, 'batch_too_big'],
      // uWS alone would cut this one with a bare 1006 (its maxPayloadLength), no error frame.
      ['far too big', async (c) => { await handshake(c, 'huge'); c.send({ type: 'batch', seq: 1, records: [{ message: 'x'.repeat(3 * 1024 * 1024) }] }); }, 1009, 'batch_too_big'],
      ['records not an array', async (c) => { await handshake(c, 'b'); c.send({ type: 'batch', seq: 1, records: 'no' }); }, 1008, 'bad_batch'],
      ['absurd seq jump', async (c) => { await handshake(c, 'q'); c.send({ type: 'batch', seq: Number.MAX_SAFE_INTEGER, records: [] }); }, 1008, 'seq_jump_too_large'],
    ];
    for (const [what, act, code, errCode] of cases) {
      const c = await connectIngest(hub.wsUrl, hub.token);
      await act(c);
      let frame = await c.next();
      while (frame.type === 'ack' || frame.type === 'welcome') frame = await c.next();
      expect(frame, what).toMatchObject({ type: 'error', code: errCode });
      expect((await c.closed).code, what).toBe(code);
    }
    const health = await fetch(`${hub.url}/health`);
    expect(health.status).toBe(200);
  });

  it('ingest - a frame of 2× and 3× the default max_batch_bytes gets an error frame and 1009', async () => {
    hub = await startTestHub();
    for (const times of [2, 3]) {
      const c = await connectIngest(hub.wsUrl, hub.token);
      const welcome = await handshake(c, `twice-${times}`);
      c.sendRaw(Buffer.alloc(times * welcome.max_batch_bytes, 0x90));
      expect(await c.next()).toMatchObject({ type: 'error', code: 'batch_too_big' });
      expect((await c.closed).code).toBe(1009);
    }
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
  });

  it('ingest - hostile nesting is a malformed frame (1007), not a crash or 1011', async () => {
    hub = await startTestHub();
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'deep');
    // {type:"batch", seq:1, records:[{a:{a:{a:…}}}]} nested 100k deep, built by hand (encoders recurse)
    const prefix = Buffer.from([0x83, 0xa4, ...Buffer.from('type'), 0xa5, ...Buffer.from('batch'), 0xa3, ...Buffer.from('seq'), 0x01, 0xa7, ...Buffer.from('records'), 0x91]);
    const nest = Buffer.alloc(100_000 * 3);
    for (let i = 0; i < 100_000; i++) nest.set([0x81, 0xa1, 0x61], i * 3);
    c.sendRaw(Buffer.concat([prefix, nest, Buffer.from([0x01])]));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'malformed_frame' });
    expect((await c.closed).code).toBe(1007);
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
  });

  it('ingest - more unacked batches than max_inflight is a policy violation', async () => {
    hub = await startTestHub({ config: { maxInflight: 2 } });
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'greedy');
    for (let seq = 1; seq <= 50; seq++) c.send({ type: 'batch', seq, records: [{ message: `m${seq}` }] });
    const frames = [];
    for (;;) {
      const f = await c.next();
      frames.push(f);
      if (f.type === 'error') break;
    }
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'inflight_exceeded' });
    expect((await c.closed).code).toBe(1008);
    // The two batches accepted before the violation are stored (once), whether or not their
    // acks made it out before the close; nothing after them is.
    await waitFor(() => all().length === 2, { what: 'the two in-flight batches to commit' });
    expect(all().map((r) => r.message)).toEqual(['m1', 'm2']);
  });
});
