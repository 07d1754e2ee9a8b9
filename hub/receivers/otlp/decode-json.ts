/**
 * OTLP/HTTP JSON (the protobuf messages in proto3 JSON): lowerCamelCase keys (snake_case is
 * accepted too), 64-bit integers as strings or numbers, trace/span ids as hex, enums as numbers
 * (or their names). Malformed input throws JsonShapeError with a message for a person.
 */
import { MAX_ANYVALUE_DEPTH, type OtlpLog } from './log.js';

export class JsonShapeError extends Error {}

type Obj = Record<string, unknown>;

function get(o: Obj, camel: string, snake?: string): unknown {
  return o[camel] ?? (snake ? o[snake] : undefined);
}

function list(o: Obj, camel: string, snake: string, where: string): Obj[] {
  const v = get(o, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new JsonShapeError(`${where}.${camel} must be an array`);
  return v.map((x, i) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new JsonShapeError(`${where}.${camel}[${i}] must be an object`);
    return x as Obj;
  });
}

function nanosToMs(v: unknown, where: string): number {
  if (v === undefined || v === null || v === '' || v === 0 || v === '0') return 0;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v / 1e6);
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return v.length <= 6 ? 0 : Number(v.slice(0, -6));
  throw new JsonShapeError(`${where} must be nanoseconds since the epoch (a string or number of digits)`);
}

function int64(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  throw new JsonShapeError('intValue must be an integer (string or number)');
}

function anyValue(v: unknown, depth: number): unknown {
  if (depth > MAX_ANYVALUE_DEPTH) throw new JsonShapeError(`an AnyValue is nested deeper than ${MAX_ANYVALUE_DEPTH} levels`);
  if (v === null || typeof v !== 'object') return v ?? null;
  const o = v as Obj;
  if ('stringValue' in o || 'string_value' in o) return String(get(o, 'stringValue', 'string_value'));
  if ('boolValue' in o || 'bool_value' in o) return Boolean(get(o, 'boolValue', 'bool_value'));
  if ('intValue' in o || 'int_value' in o) return int64(get(o, 'intValue', 'int_value'));
  if ('doubleValue' in o || 'double_value' in o) return Number(get(o, 'doubleValue', 'double_value'));
  if ('bytesValue' in o || 'bytes_value' in o) return String(get(o, 'bytesValue', 'bytes_value'));
  const arr = get(o, 'arrayValue', 'array_value') as Obj | undefined;
  if (arr) return list(arr, 'values', 'values', 'arrayValue').map((x) => anyValue(x, depth + 1));
  const kv = get(o, 'kvlistValue', 'kvlist_value') as Obj | undefined;
  if (kv) return keyValues(list(kv, 'values', 'values', 'kvlistValue'), depth + 1);
  return null;
}

function keyValues(items: Obj[], depth: number): Obj {
  const out: Obj = {};
  for (const kv of items) {
    if (typeof kv.key !== 'string') throw new JsonShapeError('an attribute needs a "key" string');
    out[kv.key] = anyValue(kv.value, depth + 1);
  }
  return out;
}

function hexId(v: unknown, where: string): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'string' || !/^[0-9a-fA-F]*$/.test(v)) throw new JsonShapeError(`${where} must be a hex string`);
  return v.toLowerCase();
}

function severityNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const m = /^SEVERITY_NUMBER_(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)(\d?)$/.exec(v);
    if (m) return ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].indexOf(m[1]) * 4 + Number(m[2] || 1);
    if (/^\d+$/.test(v)) return Number(v);
  }
  return 0;
}

function logRecord(o: Obj, resource: Obj, where: string): OtlpLog {
  return {
    resource,
    timeMs: nanosToMs(get(o, 'timeUnixNano', 'time_unix_nano'), `${where}.timeUnixNano`),
    observedMs: nanosToMs(get(o, 'observedTimeUnixNano', 'observed_time_unix_nano'), `${where}.observedTimeUnixNano`),
    severityNumber: severityNumber(get(o, 'severityNumber', 'severity_number')),
    severityText: String(get(o, 'severityText', 'severity_text') ?? ''),
    body: o.body === undefined ? undefined : anyValue(o.body, 0),
    attributes: keyValues(list(o, 'attributes', 'attributes', where), 0),
    traceId: hexId(get(o, 'traceId', 'trace_id'), `${where}.traceId`),
    spanId: hexId(get(o, 'spanId', 'span_id'), `${where}.spanId`),
  };
}

export function decodeOtlpJson(doc: unknown): OtlpLog[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new JsonShapeError('the body must be an ExportLogsServiceRequest object with "resourceLogs"');
  const out: OtlpLog[] = [];
  list(doc as Obj, 'resourceLogs', 'resource_logs', 'body').forEach((rl, i) => {
    const res = (rl.resource ?? {}) as Obj;
    const resource = keyValues(list(res, 'attributes', 'attributes', `resourceLogs[${i}].resource`), 0);
    list(rl, 'scopeLogs', 'scope_logs', `resourceLogs[${i}]`).forEach((sl, j) => {
      list(sl, 'logRecords', 'log_records', `resourceLogs[${i}].scopeLogs[${j}]`).forEach((lr, k) => {
        out.push(logRecord(lr, resource, `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`));
      });
    });
  });
  return out;
}
