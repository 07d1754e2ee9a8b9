import { afterEach, describe, expect, it } from 'vitest';
import type { TestHub } from '../../helpers/hub.js';
import { RECEIVER_TOKEN, getLogs, startReceiverHub } from '../../helpers/receivers.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const basic = `Basic ${Buffer.from(`fluent-bit:${RECEIVER_TOKEN}`).toString('base64')}`;

describe('POST /logs aliases', () => {
  it('post aliases - Fluent Bit http output body (date as float seconds, log, level) with Basic auth', async () => {
    hub = await startReceiverHub();
    // What Fluent Bit's http output sends with format json and the default json_date_key "date".
    const body = [
      { date: 1767225600.123456, log: 'disk almost full', level: 'warn', service: 'fb' },
      { date: '2026-01-01T00:00:01.250Z', msg: 'iso date', service: 'fb' },
      { time: 1767225602500000000, message: 'nanosecond time', service: 'fb' },
      { '@timestamp': 1767225603750000, log: 'microsecond @timestamp', service: 'fb' },
    ];
    const res = await fetch(`${hub.url}/logs`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    const logs = await getLogs(hub, { service: 'fb' });
    expect(logs.map((l) => [l.timestamp, l.message, l.severity])).toEqual([
      ['2026-01-01T00:00:00.123Z', 'disk almost full', 'WARN'],
      ['2026-01-01T00:00:01.250Z', 'iso date', 'INFO'],
      ['2026-01-01T00:00:02.500Z', 'nanosecond time', 'INFO'],
      ['2026-01-01T00:00:03.750Z', 'microsecond @timestamp', 'INFO'],
    ]);
    expect(logs.every((l) => l.fields === undefined)).toBe(true);
  });

  it('post aliases - Basic auth with a wrong password is 401', async () => {
    hub = await startReceiverHub();
    const wrong = `Basic ${Buffer.from('u:nope').toString('base64')}`;
    const res = await fetch(`${hub.url}/logs`, { method: 'POST', headers: { authorization: wrong }, body: '{"message":"x"}' });
    expect(res.status).toBe(401);
  });
});
