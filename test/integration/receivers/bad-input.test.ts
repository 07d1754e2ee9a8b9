import { afterEach, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { compressSync } from 'snappy';
import type { TestHub } from '../../helpers/hub.js';
import { RECEIVER_TOKEN, getLogs, startReceiverHub, waitForMetric } from '../../helpers/receivers.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
  fetch(`${hub.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, ...headers }, body });

/** Protobuf bytes nesting AnyValue arrays `depth` deep inside one OTLP log body. */
function deepOtlp(depth: number): Buffer {
  let v: Buffer = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue{string_value: "x"}
  const wrap = (field: number, inner: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2]), varint(inner.length), inner]);
  for (let i = 0; i < depth; i++) v = wrap(5, wrap(1, v)); // AnyValue{array_value: {values: [v]}}
  const log = wrap(5, v); // LogRecord.body
  return wrap(1, wrap(2, wrap(2, log))); // Request.resource_logs.scope_logs.log_records
}
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}

describe('receivers bad input', () => {
  it('receivers bad input - Loki: garbage, wrong compression, invalid UTF-8, bad and huge labels each get a clear 400', async () => {
    hub = await startReceiverHub({ maxBodyBytes: 1024 * 1024 });
    const proto = { 'content-type': 'application/x-protobuf' };
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string | Uint8Array, Record<string, string>, number, RegExp]> = [
      ['{"streams": [', json, 400, /not valid UTF-8 JSON/],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), json, 400, /not valid UTF-8 JSON/],
      ['{"streams": 5}', json, 400, /needs a "streams" array/],
      [gzipSync('{"streams":[]}'), proto, 400, /not snappy block compressed/],
      [Buffer.from('definitely not snappy'), proto, 400, /snappy/],
      [compressSync(Buffer.from([0x0a, 0x05, 0x0a, 0x03, 0x7b, 0x61, 0x7d])), proto, 400, /labels/], // labels "{a}"
      [compressSync(Buffer.from([0x0a, 0x10, 0x0a, 0x0e])), proto, 400, /malformed/], // length past the end
      ['not gzip at all', { ...json, 'content-encoding': 'gzip' }, 400, /not valid gzip/],
      ['{}', { ...json, 'content-encoding': 'br' }, 415, /not supported/],
      [gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)), { ...json, 'content-encoding': 'gzip' }, 413, /over the 1048576-byte limit/],
      [JSON.stringify({ streams: [{ stream: { app: 'x'.repeat(300) }, values: [[`${Date.now()}000000`, 'l']] }] }), json, 400, /1 of 1 entries refused \(service_too_long: 1\)/],
    ];
    for (const [body, headers, status, text] of cases) {
      const res = await post('/loki/api/v1/push', body, headers);
      expect(res.status, String(text)).toBe(status);
      expect(await res.text()).toMatch(text);
    }
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
    expect(await getLogs(hub)).toEqual([]);
    expect(await waitForMetric(hub, 'logwire_receiver_rejected_records_total', { protocol: 'loki', reason: 'bad_body' }, 8)).toBe(8);
  });

  it('receivers bad input - OTLP: garbage protobuf, hostile nesting, wrong content type', async () => {
    hub = await startReceiverHub();
    const proto = { 'content-type': 'application/x-protobuf' };
    const garbage = await post('/v1/logs', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), proto);
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get('content-type')).toBe('application/x-protobuf');
    const deep = await post('/v1/logs', deepOtlp(5000), proto);
    expect(deep.status).toBe(400);
    expect(Buffer.from(await deep.arrayBuffer()).toString('latin1')).toMatch(/nested deeper than 32/);
    const xml = await post('/v1/logs', '<logs/>', { 'content-type': 'application/xml' });
    expect(xml.status).toBe(415);
    expect(await xml.json()).toMatchObject({ message: expect.stringMatching(/send application\/x-protobuf or application\/json/) });
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
  });

  it('receivers bad input - Elasticsearch: an unknown action, invalid UTF-8, an action with no document', async () => {
    hub = await startReceiverHub();
    const nd = { 'content-type': 'application/x-ndjson' };
    for (const [body, reason] of [
      ['{"explode":{}}\n{}\n', /expected an action line/],
      [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]), /not valid UTF-8/],
      ['{"index":{"_index":"a"}}\n', /has no document line/],
      ['\n\n', /request body is required/],
    ] as const) {
      const res = await post('/_bulk', body, nd);
      expect(res.status).toBe(400);
      expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(((await res.json()) as { error: { reason: string } }).error.reason).toMatch(reason);
    }
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
  });
});
