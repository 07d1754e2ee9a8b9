/**
 * Whatever the hub sends for a record becomes something every formatter can print: a record in
 * the JSON shape (docs/protocol.md) whose fields are all of the expected types. A hub of another version
 * (or a damaged store) may send a time out of range, no service, a message that is a number, or
 * 64-bit integers; tail-cli shows them as they are instead of crashing.
 */
import type { JsonRecord } from '../hub/protocol/index.js';

/** Largest epoch ms a JavaScript Date holds (±8.64e15). */
const MAX_DATE_MS = 8.64e15;

/** ISO 8601 for an epoch ms value, or the number as text when no date can hold it. */
function isoOrText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_DATE_MS) return new Date(v).toISOString();
  if (v === undefined || v === null) return '-';
  return String(v);
}

function text(v: unknown, missing: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return missing;
  return typeof v === 'object' ? safeJson(v) : String(v);
}

/** JSON.stringify that never throws (BigInt as a number string, cycles as "[cycle]"). */
export function safeJson(v: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return x.toString();
      if (x && typeof x === 'object') {
        if (seen.has(x)) return '[cycle]';
        seen.add(x);
      }
      return x;
    }) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * A printable JsonRecord from a wire record (`ts`/`rts` epoch ms, MessagePack) or a JSON one
 * (`timestamp`/`received_at`); undefined for something that is no record at all (not a map).
 */
export function toPrintable(raw: unknown): JsonRecord | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const out: JsonRecord = {
    id: text(r.id, ''),
    timestamp: isoOrText(r.timestamp ?? r.ts),
    received_at: isoOrText(r.received_at ?? r.rts),
    service: text(r.service, '-'),
    severity: text(r.severity, '-'),
    message: text(r.message, ''),
  };
  if (r.host !== undefined && r.host !== null) out.host = text(r.host, '-');
  if (r.file !== undefined && r.file !== null) out.file = text(r.file, '-');
  if (r.fields !== undefined && r.fields !== null) {
    out.fields = typeof r.fields === 'object' && !Array.isArray(r.fields) ? (r.fields as Record<string, unknown>) : { value: r.fields };
  }
  if (r.truncated) out.truncated = true;
  return out;
}
