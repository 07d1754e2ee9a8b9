/**
 * `POST /v1/logs`: OTLP/HTTP logs (docs/receivers.md "OpenTelemetry"), from the OpenTelemetry
 * SDKs' exporters and the Collector's otlphttp exporter. Protobuf or JSON, optionally gzip.
 * 200 with ExportLogsServiceResponse in the request's encoding once durable; refused records are
 * reported in `partialSuccess` (not retried by clients). Errors are google.rpc.Status; 503 with
 * Retry-After only when the store cannot take writes (the one case where retrying helps).
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HubContext } from '../../context.js';
import { HubError } from '../../errors.js';
import { ProtoWriter, ProtobufError } from '../protobuf.js';
import { registerReceiverRoute, type ReceiverResponse } from '../http-route.js';
import { receive } from '../receive.js';
import { decodeOtlpJson, JsonShapeError } from './decode-json.js';
import { decodeOtlpProtobuf } from './decode-proto.js';
import { otlpRecord, type OtlpLog } from './log.js';

const PROTOBUF = 'application/x-protobuf';
const RETRY_AFTER_S = '5';
/** google.rpc.Code values for the Status body. */
const RPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 503: 14, 500: 13 };

const isProtobuf = (contentType: string) => /^application\/(x-)?protobuf/.test(contentType);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(contentType: string, body: Buffer): OtlpLog[] {
  try {
    if (isProtobuf(contentType)) return decodeOtlpProtobuf(body);
    if (!contentType.startsWith('application/json')) {
      throw new HubError('HUB_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Type "${contentType}" is not OTLP: send application/x-protobuf or application/json`);
    }
    return decodeOtlpJson(JSON.parse(utf8.decode(body)));
  } catch (err) {
    if (err instanceof ProtobufError) throw new HubError('HUB_ERR_BAD_BODY', `the OTLP protobuf body is malformed: ${err.message}`);
    if (err instanceof JsonShapeError || err instanceof SyntaxError || err instanceof TypeError) {
      throw new HubError('HUB_ERR_BAD_BODY', `the OTLP JSON body is invalid: ${err.message}`);
    }
    throw err;
  }
}

function exportResponse(protobuf: boolean, rejected: number, message: string): ReceiverResponse {
  if (protobuf) {
    let body: Uint8Array = new Uint8Array(0);
    if (rejected > 0) {
      const partial = new ProtoWriter().varintField(1, rejected).stringField(2, message).finish();
      body = new ProtoWriter().bytesField(1, partial).finish();
    }
    return { status: 200, contentType: PROTOBUF, body };
  }
  const partialSuccess = rejected > 0 ? { rejectedLogRecords: String(rejected), errorMessage: message } : {};
  return { status: 200, contentType: 'application/json', body: JSON.stringify({ partialSuccess }) };
}

function statusResponse(protobuf: boolean, err: HubError): ReceiverResponse {
  const status = err.status || 500;
  const code = RPC_CODE[status] ?? 2;
  const headers: Record<string, string> = status === 503 ? { 'retry-after': RETRY_AFTER_S } : {};
  if (protobuf) {
    return { status, contentType: PROTOBUF, body: new ProtoWriter().varintField(1, code).stringField(2, err.message).finish(), headers };
  }
  return { status, contentType: 'application/json', body: JSON.stringify({ code, message: err.message }), headers };
}

export function registerOtlpRoutes(app: TemplatedApp, ctx: HubContext): void {
  registerReceiverRoute(app, ctx, {
    method: 'post',
    pattern: '/v1/logs',
    protocol: 'otlp',
    async handle({ info, body, principal }) {
      const protobuf = isProtobuf(info.contentType);
      const records = decode(info.contentType, body).map(otlpRecord);
      if (records.length === 0) return exportResponse(protobuf, 0, '');
      const outcome = await receive(ctx, 'otlp', principal!, records);
      const reasons = [...new Set(outcome.rejected.map((r) => r.reason))].join(', ');
      return exportResponse(protobuf, outcome.rejected.length, outcome.rejected.length ? `${outcome.rejected.length} log record(s) refused: ${reasons}` : '');
    },
    error: (err, info) => statusResponse(isProtobuf(info.contentType), err),
  });
}
