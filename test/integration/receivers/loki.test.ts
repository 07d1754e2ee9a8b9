import { afterEach, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { hostname } from 'node:os';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import type { TestHub } from '../../helpers/hub.js';
import { RECEIVER_TOKEN, eventTime, getLogs, waitForMetric, startReceiverHub, waitForLogs } from '../../helpers/receivers.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const push = (body: string | Uint8Array, headers: Record<string, string>) =>
  fetch(`${hub.url}/loki/api/v1/push`, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, ...headers }, body });

function winstonLogger(json: boolean): { logger: winston.Logger; transport: LokiTransport } {
  const transport = new LokiTransport({
    host: hub.url,
    basicAuth: `agent:${RECEIVER_TOKEN}`,
    json,
    batching: false,
    replaceTimestamp: false,
    labels: { app: `checkout-${json ? 'json' : 'proto'}`, host: 'web-1', env: 'prod' },
    onConnectionError: (err: unknown) => { throw err; },
  });
  return { logger: winston.createLogger({ transports: [transport] }), transport };
}

describe('loki receiver', () => {
  for (const json of [true, false]) {
    it(`loki receiver - winston-loki in ${json ? 'JSON' : 'protobuf + snappy'} mode: every label mapped, event time to the ms`, async () => {
      hub = await startReceiverHub();
      const { logger, transport } = winstonLogger(json);
      const t = eventTime();
      logger.log({ level: 'error', message: 'payment failed', timestamp: t.toISOString(), requestId: 'r-17' });
      logger.log({ level: 'warn', message: 'retrying', timestamp: new Date(t.getTime() + 1).toISOString() });
      await transport.flush();
      const service = `checkout-${json ? 'json' : 'proto'}`;
      const logs = await waitForLogs(hub, 2, { service });
      expect(logs.map((l) => [l.timestamp, l.severity, l.host, l.service])).toEqual([
        [t.toISOString(), 'ERROR', 'web-1', service],
        [new Date(t.getTime() + 1).toISOString(), 'WARN', 'web-1', service],
      ]);
      expect(logs[0].message).toMatch(/^payment failed /);
      expect(logs[0].fields).toMatchObject({ env: 'prod' });
      // JSON mode sends winston's meta as structured metadata.
      if (json) expect(logs[0].fields).toMatchObject({ requestId: 'r-17' });
      expect(logs[0].fields).not.toHaveProperty('level');
      expect(logs[0].fields).not.toHaveProperty('app');
      expect(await waitForMetric(hub, 'logwire_receiver_stored_records_total', { protocol: 'loki' }, 2)).toBe(2);
    });
  }

  it('loki receiver - pino-loki: level label, pino JSON line, nanosecond time', async () => {
    hub = await startReceiverHub();
    const stream = pinoLoki({ host: hub.url, basicAuth: { username: 'agent', password: RECEIVER_TOKEN }, batching: false, labels: { service_name: 'api', instance: 'pod-3' } });
    const t = eventTime();
    const logger = pino({ timestamp: () => `,"time":${t.getTime()}` }, stream);
    logger.warn({ user: 'ann' }, 'slow query');
    const [rec] = await waitForLogs(hub, 1, { service: 'api' });
    // pino's own `hostname` label comes before `instance` in the host keys; instance stays a field.
    expect(rec).toMatchObject({ service: 'api', severity: 'WARN', host: hostname(), timestamp: t.toISOString(), fields: { instance: 'pod-3' } });
    expect(JSON.parse(rec.message)).toMatchObject({ msg: 'slow query', user: 'ann' });
    stream.end();
  });

  it('loki receiver - JSON (gzip) with structured metadata, escaped labels and nanoseconds', async () => {
    hub = await startReceiverHub();
    const body = JSON.stringify({ streams: [{ stream: { job: 'batch', detected_level: 'debug', filename: '/var/log/a.log', team: 'x"y' }, values: [['1767225600123456789', 'line one', { trace_id: 'abc' }]] }] });
    const res = await push(gzipSync(body), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(204);
    const [rec] = await getLogs(hub, { service: 'batch' });
    expect(rec).toMatchObject({ service: 'batch', severity: 'DEBUG', file: '/var/log/a.log', message: 'line one', timestamp: '2026-01-01T00:00:00.123Z', fields: { team: 'x"y', trace_id: 'abc' } });
  });

  it('loki receiver - a partly bad push stores the good entries and answers 400 with the number refused', async () => {
    hub = await startReceiverHub();
    const now = `${Date.now()}000000`;
    const body = JSON.stringify({ streams: [{ stream: { app: 'p' }, values: [[now, 'good'], ['not-a-time', 'bad'], ['-5', 'negative']] }] });
    const res = await push(body, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^2 of 3 entries refused \(invalid_timestamp: 2\)/);
    expect((await getLogs(hub, { service: 'p' })).map((l) => l.message)).toEqual(['good']);
    expect(await waitForMetric(hub, 'logwire_receiver_rejected_records_total', { protocol: 'loki', reason: 'invalid_timestamp' }, 2)).toBe(2);
  });
});
