/**
 * OTLP/HTTP protobuf: opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest, decoded
 * straight into OtlpLog values. Field numbers (logs/v1/logs.proto, common/v1/common.proto):
 *   Request { repeated ResourceLogs resource_logs = 1 }
 *   ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2 }
 *   Resource { repeated KeyValue attributes = 1 }
 *   ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2 }
 *   LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2;
 *     string severity_text = 3; AnyValue body = 5; repeated KeyValue attributes = 6;
 *     bytes trace_id = 9; bytes span_id = 10; fixed64 observed_time_unix_nano = 11 }
 *   KeyValue { string key = 1; AnyValue value = 2 }
 *   AnyValue { oneof: string 1, bool 2, int64 3, double 4, ArrayValue 5, KeyValueList 6, bytes 7 }
 *   ArrayValue { repeated AnyValue values = 1 }  KeyValueList { repeated KeyValue values = 1 }
 */
import { ProtoReader, ProtobufError, WireType } from '../protobuf.js';
import { MAX_ANYVALUE_DEPTH, type OtlpLog } from './log.js';

function int64(v: bigint): number | string {
  const n = BigInt.asIntN(64, v);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function anyValue(r: ProtoReader, depth: number): unknown {
  if (depth > MAX_ANYVALUE_DEPTH) throw new ProtobufError(`an AnyValue is nested deeper than ${MAX_ANYVALUE_DEPTH} levels`);
  let value: unknown;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.bytes) value = r.string();
    else if (field === 2 && wire === WireType.varint) value = r.varint() !== 0;
    else if (field === 3 && wire === WireType.varint) value = int64(r.varint64());
    else if (field === 4 && wire === WireType.fixed64) value = r.double();
    else if (field === 5 && wire === WireType.bytes) {
      const a = r.sub();
      const list: unknown[] = [];
      while (!a.done()) {
        const t = a.tag();
        if (t.field === 1 && t.wire === WireType.bytes) list.push(anyValue(a.sub(), depth + 1));
        else a.skip(t.wire);
      }
      value = list;
    } else if (field === 6 && wire === WireType.bytes) value = keyValues(r.sub(), depth + 1);
    else if (field === 7 && wire === WireType.bytes) value = Buffer.from(r.bytes()).toString('base64');
    else r.skip(wire);
  }
  return value;
}

/** A run of `repeated KeyValue` at field 1 of `r`, as a plain object. */
function keyValues(r: ProtoReader, depth: number, into: Record<string, unknown> = {}): Record<string, unknown> {
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.bytes) keyValue(r.sub(), depth, into);
    else r.skip(wire);
  }
  return into;
}

function keyValue(r: ProtoReader, depth: number, into: Record<string, unknown>): void {
  let key = '';
  let value: unknown;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.bytes) key = r.string();
    else if (field === 2 && wire === WireType.bytes) value = anyValue(r.sub(), depth + 1);
    else r.skip(wire);
  }
  into[key] = value ?? null;
}

const nsToMs = (ns: bigint): number => Number(ns / 1_000_000n);

function logRecord(r: ProtoReader, resource: Record<string, unknown>): OtlpLog {
  const log: OtlpLog = { resource, timeMs: 0, observedMs: 0, severityNumber: 0, severityText: '', body: undefined, attributes: {}, traceId: '', spanId: '' };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.fixed64) log.timeMs = nsToMs(r.fixed64());
    else if (field === 11 && wire === WireType.fixed64) log.observedMs = nsToMs(r.fixed64());
    else if (field === 2 && wire === WireType.varint) log.severityNumber = r.varint();
    else if (field === 3 && wire === WireType.bytes) log.severityText = r.string();
    else if (field === 5 && wire === WireType.bytes) log.body = anyValue(r.sub(), 0);
    else if (field === 6 && wire === WireType.bytes) keyValue(r.sub(), 0, log.attributes);
    else if (field === 9 && wire === WireType.bytes) log.traceId = Buffer.from(r.bytes()).toString('hex');
    else if (field === 10 && wire === WireType.bytes) log.spanId = Buffer.from(r.bytes()).toString('hex');
    else r.skip(wire);
  }
  return log;
}

function scopeLogs(r: ProtoReader, resource: Record<string, unknown>, out: OtlpLog[]): void {
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 2 && wire === WireType.bytes) out.push(logRecord(r.sub(), resource));
    else r.skip(wire);
  }
}

function resourceLogs(r: ProtoReader, out: OtlpLog[]): void {
  let resource: Record<string, unknown> = {};
  const scopes: ProtoReader[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.bytes) resource = keyValues(r.sub(), 0);
    else if (field === 2 && wire === WireType.bytes) scopes.push(r.sub());
    else r.skip(wire);
  }
  // The resource may come after its scopes on the wire: decode the scopes once it is known.
  for (const s of scopes) scopeLogs(s, resource, out);
}

/** Throws ProtobufError on malformed input. */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpLog[] {
  const r = new ProtoReader(body);
  const out: OtlpLog[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WireType.bytes) resourceLogs(r.sub(), out);
    else r.skip(wire);
  }
  return out;
}
