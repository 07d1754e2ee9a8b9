/**
 * Dedupe state belongs to (token, shipper id) (docs/protocol.md), attacked over real sockets: another
 * token posing as the victim's shipper id with a huge seq changes nothing the victim is told or
 * stores; absurd seq jumps are refused; a resent seq on the same connection is acked again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { connectIngest, handshake } from '../../helpers/ingest-client.js';

const VICTIM = 'victim-token-0001';
const ATTACKER = 'attacker-token-0002';
let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const stored = () => [...hub.hub.ctx.store.query({}, { order: 'asc' })].map((r) => r.message);

describe('ingest dedupe', () => {
  it('ingest dedupe - another token with the victim\'s shipper id cannot change its welcome.acked or what is stored', async () => {
    hub = await startTestHub({ tokens: [
      { token: VICTIM, scopes: ['ingest', 'read', 'admin'] },
      { token: ATTACKER, scopes: ['ingest'] },
    ] });
    const v = await connectIngest(hub.wsUrl, VICTIM);
    expect((await handshake(v, 'web-1')).acked).toBe(0);
    v.send({ type: 'batch', seq: 1, records: [{ message: 'victim 1' }] });
    expect(await v.next()).toMatchObject({ type: 'ack', seq: 1, stored: 1 });
    v.close();

    const a = await connectIngest(hub.wsUrl, ATTACKER);
    expect((await handshake(a, 'web-1')).acked).toBe(0); // nothing of the victim's shows either
    a.send({ type: 'batch', seq: 2 ** 32, records: [{ message: 'attacker' }] });
    expect(await a.next()).toMatchObject({ type: 'ack', seq: 2 ** 32, stored: 1 });
    a.close();

    const v2 = await connectIngest(hub.wsUrl, VICTIM);
    expect((await handshake(v2, 'web-1')).acked).toBe(1);
    v2.send({ type: 'batch', seq: 2, records: [{ message: 'victim 2' }] });
    expect(await v2.next()).toMatchObject({ type: 'ack', seq: 2, stored: 1 });
    v2.close();
    expect(stored()).toEqual(['victim 1', 'attacker', 'victim 2']);
  });

  it('ingest dedupe - a seq jump to 2^53-1 is refused with seq_jump_too_large; seq 2^40 is fine', async () => {
    hub = await startTestHub();
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'jumpy');
    c.send({ type: 'batch', seq: 2 ** 40, records: [{ message: 'big but fine' }] });
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 2 ** 40, stored: 1 });
    c.send({ type: 'batch', seq: Number.MAX_SAFE_INTEGER, records: [{ message: 'never stored' }] });
    expect(await c.next()).toMatchObject({ type: 'error', code: 'seq_jump_too_large' });
    expect((await c.closed).code).toBe(1008);
    const again = await connectIngest(hub.wsUrl, hub.token);
    expect((await handshake(again, 'jumpy')).acked).toBe(2 ** 40);
    again.close();
    expect(stored()).toEqual(['big but fine']);
  });

  it('ingest dedupe - resending a stored seq on the same connection is acked again, stored once', async () => {
    hub = await startTestHub();
    const c = await connectIngest(hub.wsUrl, hub.token);
    await handshake(c, 'resender');
    c.send({ type: 'batch', seq: 1, records: [{ message: 'one' }] });
    c.send({ type: 'batch', seq: 1, records: [{ message: 'one' }] }); // resent before the ack
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 1, stored: 1 });
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 1, stored: 0 });
    c.send({ type: 'batch', seq: 1, records: [{ message: 'one' }] }); // and after it
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 1, stored: 0 });
    c.send({ type: 'batch', seq: 2, records: [{ message: 'two' }] });
    expect(await c.next()).toMatchObject({ type: 'ack', seq: 2, stored: 1 });
    c.close();
    expect(stored()).toEqual(['one', 'two']);
  });
});
