import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import pino from 'pino';
import pinoElastic from 'pino-elasticsearch';
import type { TestHub } from '../../helpers/hub.js';
import { RECEIVER_TOKEN, eventTime, getLogs, waitForMetric, startReceiverHub, waitForLogs } from '../../helpers/receivers.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const client = () => new Client({ node: `${hub.url}/es`, auth: { username: 'elastic', password: RECEIVER_TOKEN } });

describe('elasticsearch receiver', () => {
  it('elasticsearch receiver - @elastic/elasticsearch: info(), then helpers.bulk with ECS documents mapped field by field', async () => {
    hub = await startReceiverHub();
    const es = client();
    const info = await es.info();
    expect(info.version.number).toMatch(/^8\./);
    const t = eventTime();
    const docs = [
      { '@timestamp': t.toISOString(), message: 'checkout done', log: { level: 'warn', file: { path: '/var/log/shop.log' } }, host: { name: 'web-2', os: { family: 'debian' } }, service: { name: 'shop' }, user: 'ann' },
      { '@timestamp': t.getTime() + 5, message: 'no service key', level: 'error' },
    ];
    const stats = await es.helpers.bulk({ datasource: docs, onDocument: () => ({ index: { _index: 'fallback-index' } }) });
    expect(stats).toMatchObject({ total: 2, successful: 2, failed: 0 });
    const [shop] = await waitForLogs(hub, 1, { service: 'shop' });
    expect(shop).toMatchObject({ timestamp: t.toISOString(), message: 'checkout done', severity: 'WARN', host: 'web-2', file: '/var/log/shop.log', fields: { user: 'ann', host: { os: { family: 'debian' } } } });
    expect(shop.fields).not.toHaveProperty('service');
    expect(shop.fields).not.toHaveProperty('log');
    const [other] = await getLogs(hub, { service: 'fallback-index' });
    expect(other).toMatchObject({ timestamp: new Date(t.getTime() + 5).toISOString(), severity: 'ERROR', message: 'no service key' });
    await es.close();
  });

  it('elasticsearch receiver - create with an _id already stored answers 409 for that item and stores nothing (a resent bulk never duplicates)', async () => {
    hub = await startReceiverHub();
    const es = client();
    const docs = [{ id: 'a1', message: 'first' }, { id: 'a2', message: 'second' }];
    const onDocument = (d: { id: string }) => ({ create: { _index: 'orders', _id: d.id } });
    expect(await es.helpers.bulk({ datasource: docs, onDocument })).toMatchObject({ successful: 2, failed: 0 });
    const dropped: number[] = [];
    const again = await es.helpers.bulk({ datasource: [...docs, { id: 'a3', message: 'third' }], onDocument, retries: 0, onDrop: (d) => dropped.push(d.status) });
    expect(again).toMatchObject({ successful: 1, failed: 2 });
    expect(dropped).toEqual([409, 409]);
    const logs = await getLogs(hub, { service: 'orders' });
    expect(logs.map((l) => [l.message, l.fields?._id])).toEqual([['first', 'a1'], ['second', 'a2'], ['third', 'a3']]);

    // The ids survive a restart of the hub on the same data directory.
    const dataDir = hub.dataDir;
    await es.close();
    await hub.hub.close();
    hub = await startReceiverHub({ data: dataDir });
    const res = await fetch(`${hub.url}/orders/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/x-ndjson' }, body: '{"create":{"_id":"a1"}}\n{"message":"first"}\n' });
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect((await res.json()).items[0].create.status).toBe(409);
    expect(await getLogs(hub, { service: 'orders' })).toHaveLength(3);
    await hub.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('elasticsearch receiver - pino-elasticsearch: pino level, msg, hostname and time', async () => {
    hub = await startReceiverHub();
    const t = eventTime();
    const stream = pinoElastic({ index: 'pino-shop', node: `${hub.url}/es`, auth: { username: 'u', password: RECEIVER_TOKEN }, esVersion: 8, flushBytes: 1, flushInterval: 50 });
    const logger = pino({ timestamp: () => `,"time":"${t.toISOString()}"`, base: { hostname: 'box-1' } }, stream);
    logger.error({ orderId: 5 }, 'card declined');
    const [rec] = await waitForLogs(hub, 1, { service: 'pino-shop' });
    expect(rec).toMatchObject({ timestamp: t.toISOString(), severity: 'ERROR', host: 'box-1', message: 'card declined', fields: { orderId: 5 } });
    stream.end();
  });

  it('elasticsearch receiver - rsyslog-style body: blank lines, _type, no trailing newline; a bad document fails only its item', async () => {
    hub = await startReceiverHub();
    const body = '\n{"index":{"_index":"system","_type":"events"}}\n{"message":"sshd started","@timestamp":"2026-01-01T00:00:00.250+00:00","fromhost":"gw"}\n\n{"index":{"_index":"system","_type":"events"}}\nnot json\n{"update":{"_id":"x"}}\n{"doc":{}}';
    const res = await fetch(`${hub.url}/es/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer.errors).toBe(true);
    expect(answer.items.map((i: Record<string, { status: number }>) => Object.values(i)[0].status)).toEqual([201, 400, 400]);
    const logs = await getLogs(hub, { service: 'system' });
    expect(logs).toMatchObject([{ message: 'sshd started', timestamp: '2026-01-01T00:00:00.250Z', fields: { fromhost: 'gw' } }]);
    expect(await waitForMetric(hub, 'logwire_receiver_stored_records_total', { protocol: 'elasticsearch' }, 1)).toBe(1);
  });

  it('elasticsearch receiver - every answer under /es carries X-Elastic-Product, errors included', async () => {
    hub = await startReceiverHub();
    for (const [method, path, auth] of [['GET', '/es/', false], ['HEAD', '/es', false], ['POST', '/es/_bulk', false], ['POST', '/_bulk', true], ['GET', '/es/_cat/indices', false]] as const) {
      const res = await fetch(`${hub.url}${path}`, { method, headers: auth ? { authorization: `Bearer ${RECEIVER_TOKEN}` } : {}, body: method === 'POST' ? 'garbage' : undefined });
      expect(res.headers.get('x-elastic-product'), `${method} ${path}`).toBe('Elasticsearch');
      if (path === '/es/_bulk') expect(res.status).toBe(401);
      if (path === '/_bulk') expect(await res.json()).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception' } });
    }
  });
});
