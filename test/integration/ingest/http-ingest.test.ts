import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '../../../hub/protocol/codec.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const post = (body: string | Uint8Array, type: string, auth = `Bearer ${hub.token}`) =>
  fetch(`${hub.url}/logs`, { method: 'POST', headers: { authorization: auth, 'content-type': type }, body });
const messages = () => [...hub.hub.ctx.store.query({}, { order: 'asc' })].map((r) => r.message);

describe('http ingest', () => {
  it('http ingest - JSON object, JSON array, NDJSON and MessagePack bodies', async () => {
    hub = await startTestHub();
    expect(await (await post(JSON.stringify({ message: 'one' }), 'application/json')).json()).toMatchObject({ saved: 1, rejected: [] });
    expect((await post(JSON.stringify([{ message: 'two' }, { message: 'three' }]), 'application/json; charset=utf-8')).status).toBe(201);
    expect((await post('{"message":"four"}\n\n{"message":"five"}\n', 'application/x-ndjson')).status).toBe(201);
    expect((await post(encode([{ message: 'six' }]), 'application/msgpack')).status).toBe(201);
    expect((await post(JSON.stringify({ message: 'seven' }), 'application/x-www-form-urlencoded')).status).toBe(201); // curl -d without -H
    expect(messages()).toEqual(['one', 'two', 'three', 'four', 'five', 'six', 'seven']);
  });

  it('http ingest - partial rejection is 201 with reasons; all rejected is 400', async () => {
    hub = await startTestHub();
    const res = await post(JSON.stringify([{ message: 'ok' }, { service: 'a' }]), 'application/json');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ saved: 1, rejected: [{ index: 1, reason: 'missing_message' }] });
    const bad = await post(JSON.stringify([{ service: 'a' }]), 'application/json');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'HUB_ERR_BAD_BODY', rejected: [{ index: 0, reason: 'missing_message' }] });
  });

  it('http ingest - malformed bodies are a clear 400 and store nothing', async () => {
    hub = await startTestHub();
    const cases: Array<[string | Uint8Array, string, RegExp]> = [
      ['{"message": ', 'application/json', /not valid JSON/],
      ['', 'application/json', /body is empty/],
      ['42', 'application/json', /one record \(an object\) or an array/],
      ['{"message":"a"}\nnot json', 'application/x-ndjson', /NDJSON line 2 is not valid JSON/],
      [new Uint8Array([0x82, 0xa1, 0x61]), 'application/msgpack', /MessagePack body is invalid/],
      [new Uint8Array([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'application/json', /not valid UTF-8/],
    ];
    for (const [body, type, want] of cases) {
      const res = await post(body, type);
      expect(res.status, String(want)).toBe(400);
      const json = await res.json();
      expect(json.code).toBe('HUB_ERR_BAD_BODY');
      expect(json.error).toMatch(want);
    }
    expect(messages()).toEqual([]);
  });

  it('http ingest - a content type that is not JSON, NDJSON or MessagePack is a 415', async () => {
    hub = await startTestHub();
    for (const type of ['application/xml', 'image/png', 'multipart/form-data; boundary=x', 'text/html']) {
      const res = await post('{"message":"not stored"}', type);
      expect(res.status, type).toBe(415);
      const body = await res.json();
      expect(body.code).toBe('HUB_ERR_UNSUPPORTED_MEDIA_TYPE');
      expect(body.error).toContain('application/json');
    }
    // What curl -d and minimal clients send for a JSON body still works.
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/vnd.api+json']) expect((await post('{"message":"ok"}', type)).status, type).toBe(201);
    expect(messages()).toEqual(['ok', 'ok', 'ok']);
  });

  it('http ingest - hostile nesting is rejected per record, and the hub stays up', async () => {
    hub = await startTestHub();
    const deep = `[{"message":"ok"},{"message":"m","fields":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}]`;
    const res = await post(deep, 'application/json');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ saved: 1, rejected: [{ index: 1, reason: 'fields_too_deep' }] });
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
    expect(messages()).toEqual(['ok']);
  });

  it('http ingest - bodies over the limit are 413; wrong or missing tokens 401/403', async () => {
    hub = await startTestHub({ config: { maxBodyBytes: 1024 }, tokens: [{ token: 'admin', scopes: ['admin'] }, { token: 'reader', scopes: ['read'] }] });
    const big = await post(JSON.stringify({ message: 'x'.repeat(5000) }), 'application/json');
    expect(big.status).toBe(413);
    expect((await big.json()).code).toBe('HUB_ERR_TOO_LARGE');
    expect((await post('{"message":"a"}', 'application/json', '')).status).toBe(401);
    expect((await post('{"message":"a"}', 'application/json', 'Bearer nope')).status).toBe(401);
    expect((await post('{"message":"a"}', 'application/json', 'Bearer reader')).status).toBe(403);
    expect((await post('{"message":"a"}', 'application/json', 'Token admin')).status).toBe(201);
    expect(messages()).toEqual(['a']);
  });
});
