import { afterEach, describe, expect, it } from 'vitest';
import { trace, context, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as HttpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { TestHub } from '../../helpers/hub.js';
import { RECEIVER_TOKEN, eventTime, getLogs, waitForMetric, startReceiverHub, waitForLogs } from '../../helpers/receivers.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

async function emitWith(exporter: LogRecordExporter, service: string, t: Date): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'node-7', 'deployment.environment': 'staging' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('orders-module', '1.2.3');
  const ctx = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
  logger.emit({ timestamp: t, severityNumber: SeverityNumber.WARN, severityText: 'warning', body: 'stock low', attributes: { 'order.id': 42, 'log.file.path': '/srv/orders.log' }, context: ctx });
  logger.emit({ timestamp: new Date(t.getTime() + 7), severityNumber: SeverityNumber.ERROR2, body: { code: 'E1', retry: false } });
  await provider.forceFlush();
  await provider.shutdown();
}

const exporters = {
  'JSON (exporter-logs-otlp-http, gzip)': (url: string) => new HttpJsonExporter({ url, headers: { authorization: `Bearer ${RECEIVER_TOKEN}` }, compression: CompressionAlgorithm.GZIP }),
  'protobuf (exporter-logs-otlp-proto)': (url: string) => new HttpProtoExporter({ url, headers: { authorization: `Bearer ${RECEIVER_TOKEN}` } }),
};

describe('otlp receiver', () => {
  for (const [name, make] of Object.entries(exporters)) {
    it(`otlp receiver - ${name}: resource, severity, body, attributes, trace ids, time to the ms`, async () => {
      hub = await startReceiverHub();
      const t = eventTime();
      const service = name.startsWith('JSON') ? 'orders-json' : 'orders-proto';
      await emitWith(make(`${hub.url}/v1/logs`), service, t);
      const logs = await waitForLogs(hub, 2, { service });
      expect(logs[0]).toMatchObject({
        service, timestamp: t.toISOString(), severity: 'WARN', host: 'node-7', file: '/srv/orders.log', message: 'stock low',
        fields: { 'order.id': 42, 'deployment.environment': 'staging', trace_id: TRACE_ID, span_id: SPAN_ID },
      });
      expect(logs[0].fields).not.toHaveProperty('service.name');
      // severityNumber 18 (ERROR2) without text; a map body is stored as its JSON text.
      expect(logs[1]).toMatchObject({ timestamp: new Date(t.getTime() + 7).toISOString(), severity: 'ERROR' });
      expect(JSON.parse(logs[1].message)).toEqual({ code: 'E1', retry: false });
      expect(await waitForMetric(hub, 'logwire_receiver_stored_records_total', { protocol: 'otlp' }, 2)).toBe(2);
    });
  }

  it('otlp receiver - JSON with int64 as numbers, snake_case, partialSuccess for refused records', async () => {
    hub = await startReceiverHub();
    const body = {
      resource_logs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pay' } }] },
        scopeLogs: [{ logRecords: [
          { timeUnixNano: 1767225600123000000, severityNumber: 9, body: { stringValue: 'ok' }, attributes: [{ key: 'n', value: { intValue: '9007199254740993' } }] },
          { observedTimeUnixNano: '1767225601456000000', severityText: 'Critical', body: { stringValue: 'observed only' } },
          { timeUnixNano: '1767225602000000000', body: { kvlistValue: { values: [] } }, attributes: [{ key: 'service', value: { intValue: 5 } }] },
        ] }],
      }],
    };
    const res = await fetch(`${hub.url}/v1/logs`, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ partialSuccess: {} });
    const logs = await getLogs(hub, { service: 'pay' });
    expect(logs.map((l) => [l.timestamp, l.severity, l.message])).toEqual([
      ['2026-01-01T00:00:00.123Z', 'INFO', 'ok'],
      ['2026-01-01T00:00:01.456Z', 'FATAL', 'observed only'],
      ['2026-01-01T00:00:02.000Z', 'INFO', '{}'],
    ]);
    expect(logs[0].fields).toEqual({ n: '9007199254740993' });

    const limited = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'fine' } }, { timeUnixNano: 'soon' }] }] }] };
    const bad = await fetch(`${hub.url}/v1/logs`, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(limited) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 3, message: expect.stringMatching(/timeUnixNano must be nanoseconds/) });
  });

  it('otlp receiver - a record refused by validation is counted in partialSuccess, the rest stored', async () => {
    hub = await startReceiverHub();
    const long = 'x'.repeat(200);
    const body = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: long } }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'a' } }] }] },
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fine' } }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'b' } }] }] }] };
    const res = await fetch(`${hub.url}/v1/logs`, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 log record(s) refused: service_too_long' } });
    expect((await getLogs(hub, { service: 'fine' })).map((l) => l.message)).toEqual(['b']);
  });

  it('otlp receiver - over --max-body-bytes is 413; no token is 401', async () => {
    hub = await startReceiverHub({ maxBodyBytes: 1000 });
    const big = await fetch(`${hub.url}/v1/logs`, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/json' }, body: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    const anon = await fetch(`${hub.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anon.status).toBe(401);
  });
});
