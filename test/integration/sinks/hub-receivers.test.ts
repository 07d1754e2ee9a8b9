/**
 * Forwarding into a second logwire hub's own receivers (docs/receivers: Loki push, Elasticsearch
 * bulk), checking by record id that everything arrives once with its labels and fields.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { allLogs, makeRecords, postLogs, QUICK, sinkStats, writeSinksFile } from './helpers.js';
import type { JsonRecord } from '../../../hub/protocol/record.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0).reverse()) await h.close();
});

async function forwardInto(sink: (b: TestHub) => Record<string, unknown>): Promise<{ a: TestHub; b: TestHub }> {
  const b = await startTestHub();
  hubs.push(b);
  const a = await startTestHub({ config: { sinks: writeSinksFile(tempDir(), [{ name: 's', token: b.token, ...QUICK, ...sink(b) }]) } });
  hubs.push(a);
  return { a, b };
}

async function roundTrip(sink: (b: TestHub) => Record<string, unknown>, originId: (r: JsonRecord) => unknown): Promise<void> {
  const { a, b } = await forwardInto(sink);
  await postLogs(a.url, a.token, [...makeRecords(300), ...makeRecords(200, 'auth line', 'auth')]);
  const sent = await allLogs(a.url, a.token);
  await waitFor(async () => (await sinkStats(a.url, a.token))[0]?.sent === 500, { what: 'all 500 sent' });
  const got = await allLogs(b.url, b.token);
  expect(got).toHaveLength(500);
  const byOrigin = new Map(got.map((r) => [String(originId(r)), r]));
  expect(byOrigin.size).toBe(500);
  for (const s of sent) {
    const r = byOrigin.get(s.id);
    expect(r, `record ${s.id}`).toBeDefined();
    expect({ service: r!.service, severity: r!.severity, host: r!.host, message: r!.message, timestamp: r!.timestamp }).toEqual({ service: s.service, severity: s.severity, host: s.host, message: s.message, timestamp: s.timestamp });
  }
}

describe('sinks into a hub', () => {
  it('sinks into a hub - loki sink (protobuf + snappy) into /loki/api/v1/push: every record once, id in structured metadata', async () => {
    await roundTrip((b) => ({ type: 'loki', url: b.url }), (r) => r.fields?.logwire_id);
  });

  it('sinks into a hub - loki sink (JSON) into /loki/api/v1/push', async () => {
    await roundTrip((b) => ({ type: 'loki', url: b.url, encoding: 'json' }), (r) => r.fields?.logwire_id);
  });

  it('sinks into a hub - elasticsearch sink into /es/_bulk: every record once, the id as _id', async () => {
    await roundTrip((b) => ({ type: 'elasticsearch', url: `${b.url}/es` }), (r) => r.fields?._id);
  });
});
