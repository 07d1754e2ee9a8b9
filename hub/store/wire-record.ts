/**
 * Builds a WireRecord from its labels (a stream, or a validated record) and its body (a chunk
 * entry, or the same validated record): the one place that decides a record's shape on the way
 * out of the store, whether it was just written or read back.
 */
import type { WireRecord } from '../protocol/frames.js';
import type { Severity } from '../protocol/severity.js';

export interface RecordLabels {
  service: string;
  severity: Severity;
  host?: string;
  file?: string;
}

export interface RecordBody {
  ts: number;
  message: string;
  fields?: Record<string, unknown>;
  truncated?: true;
}

export function wireRecord(id: string, rts: number, labels: RecordLabels, body: RecordBody): WireRecord {
  const r: WireRecord = { id, ts: body.ts, rts, service: labels.service, severity: labels.severity, message: body.message };
  if (labels.host !== undefined) r.host = labels.host;
  if (labels.file !== undefined) r.file = labels.file;
  if (body.fields !== undefined) r.fields = body.fields;
  if (body.truncated) r.truncated = true;
  return r;
}
