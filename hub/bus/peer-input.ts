/**
 * Whatever arrives from NATS is validated as strictly as ingest (docs/nats.md "Validation"):
 * another hub, or anything else that can publish on the cluster's subjects, is not trusted.
 *
 * - Records (live fan-out and history answers) must be complete WireRecords: a hub id, integer
 *   times inside the §2 window, a canonical severity, a string message, the label limits of
 *   ingest. A message over this hub's limit is truncated and flagged as ingest would; unknown
 *   keys are dropped. Each record is rebuilt, so nothing but these keys reaches a tail, a query
 *   answer or the store's JSON writer. A bad record is dropped alone, with a snake_case reason.
 * - History requests must carry a well-formed filter (lists of strings, numbers, strings).
 * - Peer hub ids must be plain subject tokens (no `.`, `*`, `>` or spaces).
 */
import type { WireRecord } from '../protocol/frames.js';
import { isValidId } from '../protocol/ids.js';
import { MAX_SERVICE_CHARS, RejectReason, measureFields, truncateUtf8, type ValidationLimits } from '../protocol/record.js';
import { SEVERITIES, type Severity } from '../protocol/severity.js';
import { sanitizeServiceToken } from '../protocol/subjects.js';
import type { WireFilter } from './history-wire.js';

/** Why a record from NATS was dropped: ingest's reasons where they apply, plus these. */
export const PeerRejectReason = {
  ...RejectReason,
  invalidId: 'invalid_id',
  invalidSeverity: 'invalid_severity',
  /** The record does not belong on the subject it was published on. */
  subjectMismatch: 'subject_mismatch',
  /** A history answer holds a record the query's filter excludes. */
  filterMismatch: 'filter_mismatch',
} as const;

export type PeerRecordCheck = { ok: true; record: WireRecord } | { ok: false; reason: string };

const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_HOST_CHARS = 255;
const MAX_FILE_CHARS = 4096;
/** Records may be this far ahead of this hub's clock: §2's 24 h plus clock skew between hubs. */
const MAX_FUTURE_MS = 25 * 3600_000;
/** Largest list in a history request filter (services, hosts, ...). */
const MAX_FILTER_VALUES = 1000;
const MAX_FILTER_STRING = 4096;

function label(v: unknown, max: number): string | undefined | false {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max || CONTROL.test(v)) return false;
  return v;
}

function epochMs(v: unknown, nowMs: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= nowMs + MAX_FUTURE_MS;
}

/** Validates and rebuilds one record received from NATS. */
export function checkPeerRecord(raw: unknown, limits: ValidationLimits, nowMs: number): PeerRecordCheck {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) return { ok: false, reason: PeerRejectReason.notAMap };
  const r = raw as Record<string, unknown>;
  if (r.message === undefined || r.message === null) return { ok: false, reason: PeerRejectReason.missingMessage };
  if (typeof r.message !== 'string') return { ok: false, reason: PeerRejectReason.invalidMessage };
  if (typeof r.id !== 'string' || !isValidId(r.id)) return { ok: false, reason: PeerRejectReason.invalidId };
  const service = r.service;
  if (typeof service !== 'string' || service.length === 0 || CONTROL.test(service)) return { ok: false, reason: PeerRejectReason.invalidService };
  if (service.length > MAX_SERVICE_CHARS) return { ok: false, reason: PeerRejectReason.serviceTooLong };
  if (typeof r.severity !== 'string' || !SEVERITY_SET.has(r.severity)) return { ok: false, reason: PeerRejectReason.invalidSeverity };
  if (!epochMs(r.ts, nowMs) || !epochMs(r.rts, nowMs)) return { ok: false, reason: PeerRejectReason.invalidTimestamp };
  const host = label(r.host, MAX_HOST_CHARS);
  if (host === false) return { ok: false, reason: PeerRejectReason.invalidHost };
  const file = label(r.file, MAX_FILE_CHARS);
  if (file === false) return { ok: false, reason: PeerRejectReason.invalidFile };
  let fields: Record<string, unknown> | undefined;
  if (r.fields !== undefined && r.fields !== null) {
    if (typeof r.fields !== 'object' || Array.isArray(r.fields) || r.fields instanceof Uint8Array) return { ok: false, reason: PeerRejectReason.invalidFields };
    const measured = measureFields(r.fields, limits.maxFieldsBytes);
    if (measured === 'too_deep') return { ok: false, reason: PeerRejectReason.fieldsTooDeep };
    if (measured === 'too_large') return { ok: false, reason: PeerRejectReason.fieldsTooLarge };
    fields = r.fields as Record<string, unknown>;
  }
  const cut = truncateUtf8(r.message, limits.maxMessageBytes);
  const record: WireRecord = { id: r.id, ts: r.ts, rts: r.rts, service, severity: r.severity as Severity, message: cut.message };
  if (host !== undefined) record.host = host;
  if (file !== undefined) record.file = file;
  if (fields) record.fields = fields;
  if (cut.truncated || r.truncated === true) record.truncated = true;
  return { ok: true, record };
}

/** True when `r` belongs on `<root>.logs.<service token>.<severity>` = `subject`. */
export function recordFitsSubject(r: WireRecord, subject: string): boolean {
  const end = subject.lastIndexOf('.');
  if (subject.slice(end + 1) !== r.severity) return false;
  const token = subject.slice(subject.lastIndexOf('.', end - 1) + 1, end);
  return token === r.service || token === sanitizeServiceToken(r.service);
}

/**
 * Checks every record of a message or answer; `keep` may refuse more (subject, filter).
 * Returns the clean records and calls `dropped(reason)` once per refused record.
 */
export function checkPeerRecords(raw: unknown[], limits: ValidationLimits, dropped: (reason: string) => void, keep?: (r: WireRecord) => string | undefined): WireRecord[] {
  const out: WireRecord[] = [];
  const nowMs = Date.now();
  for (const x of raw) {
    const c = checkPeerRecord(x, limits, nowMs);
    if (!c.ok) {
      dropped(c.reason);
      continue;
    }
    const refused = keep?.(c.record);
    if (refused) dropped(refused);
    else out.push(c.record);
  }
  return out;
}

/** Hub ids (`hub-<tag>-<hex>`, store.ts) become subject tokens: letters, digits, `-` and `_` only. */
const PEER_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isPeerId(v: unknown): v is string {
  return typeof v === 'string' && PEER_ID.test(v);
}

function stringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length <= MAX_FILTER_VALUES && v.every((s) => typeof s === 'string' && s.length <= MAX_FILTER_STRING);
}

/** True when `w` is a well-formed wire filter (what filterFromWire may safely read). */
export function isWireFilter(w: unknown): w is WireFilter {
  if (w === null || typeof w !== 'object' || Array.isArray(w)) return false;
  const f = w as Record<string, unknown>;
  for (const k of ['services', 'hosts', 'files'] as const) if (f[k] !== undefined && !stringList(f[k])) return false;
  if (f.severities !== undefined && !(stringList(f.severities) && f.severities.every((s) => SEVERITY_SET.has(s)))) return false;
  for (const k of ['from', 'to', 'receivedFrom', 'receivedTo'] as const) if (f[k] !== undefined && !(typeof f[k] === 'number' && Number.isFinite(f[k]))) return false;
  for (const k of ['q', 'qSource', 'regex'] as const) if (f[k] !== undefined && !(typeof f[k] === 'string' && (f[k] as string).length <= MAX_FILTER_STRING)) return false;
  return true;
}
