/**
 * Serialising records to their §2 JSON text on the read hot path (GET /logs pages, NDJSON
 * export). Produces exactly `JSON.stringify(toJsonRecord(r))` — same keys, same order — but
 * about twice as fast: no intermediate object, and the receive time's ISO string is reused across
 * a run of records from one commit group (they share `rts`).
 *
 * A time outside what a JS Date can represent (±8.64e15 ms) is written as null rather than
 * failing the whole response.
 */
import type { WireRecord } from '../protocol/frames.js';

const MAX_DATE_MS = 8.64e15;

function isoOrNull(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? `"${new Date(ms).toISOString()}"` : 'null';
}

/** A serialiser with a one-entry cache for the receive time; create one per response. */
export function createRecordSerializer(): (r: WireRecord) => string {
  let lastRts = Number.NaN;
  let lastRtsIso = 'null';
  let lastTs = Number.NaN;
  let lastTsIso = 'null';
  return (r) => {
    if (r.rts !== lastRts) {
      lastRts = r.rts;
      lastRtsIso = isoOrNull(r.rts);
    }
    if (r.ts !== lastTs) {
      lastTs = r.ts;
      lastTsIso = isoOrNull(r.ts);
    }
    let s = `{"id":${JSON.stringify(r.id)},"timestamp":${lastTsIso},"received_at":${lastRtsIso},"service":${JSON.stringify(r.service)},"severity":${JSON.stringify(r.severity)},"message":${JSON.stringify(r.message)}`;
    if (r.host !== undefined) s += `,"host":${JSON.stringify(r.host)}`;
    if (r.file !== undefined) s += `,"file":${JSON.stringify(r.file)}`;
    if (r.fields !== undefined) s += `,"fields":${JSON.stringify(r.fields)}`;
    if (r.truncated) s += ',"truncated":true';
    return `${s}}`;
  };
}

/** `[rec,rec,...]` as JSON text. */
export function recordsJsonArray(rows: readonly WireRecord[]): string {
  const ser = createRecordSerializer();
  let s = '[';
  for (let i = 0; i < rows.length; i++) s += (i === 0 ? '' : ',') + ser(rows[i]);
  return `${s}]`;
}
