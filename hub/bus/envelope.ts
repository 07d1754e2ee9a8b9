/**
 * How records ride the bus: grouped by subject, many per message.
 *
 * Wire format of one NATS message on `<root>.logs.<service>.<severity>` (MessagePack via the
 * shared codec, a plain map so any client can read it):
 *
 *   { o: <origin instance id, string>, n: <records this origin published on this subject
 *     before this message, integer>, r: [WireRecord, ...] }
 *
 * `o` is random per hub process, so a restarted hub starts a fresh counter. A subscriber that
 * remembers `n + r.length` per (o, subject) knows exactly how many records it missed when the
 * next message's `n` is larger. Messages are split so that each fits the server's max_payload.
 */
import { decode, encode } from '../protocol/codec.js';
import type { WireRecord } from '../protocol/frames.js';
import { logSubject } from '../protocol/subjects.js';

export interface RecordsEnvelope {
  o: string;
  n: number;
  r: WireRecord[];
}

/** Groups records by their subject, keeping order within each group. */
export function groupBySubject(records: readonly WireRecord[], root: string): Map<string, WireRecord[]> {
  const groups = new Map<string, WireRecord[]>();
  let lastKey = '';
  let last: WireRecord[] | undefined;
  for (const r of records) {
    const key = `${r.service}\u0000${r.severity}`;
    if (key !== lastKey || !last) {
      const subject = logSubject(r.service, r.severity, root);
      last = groups.get(subject);
      if (!last) groups.set(subject, (last = []));
      lastKey = key;
    }
    last.push(r);
  }
  return groups;
}

/**
 * Encodes a group into one or more payloads of at most `maxBytes`. `counter` is the origin's
 * count before the first record; each payload carries its own. A single record too large for any
 * message is skipped and counted in `skipped` (it stays in the store; history still returns it).
 */
export function encodeEnvelopes(origin: string, counter: number, records: WireRecord[], maxBytes: number): { payloads: Uint8Array[]; skipped: number } {
  const payloads: Uint8Array[] = [];
  let skipped = 0;
  const emit = (n: number, part: WireRecord[]): void => {
    const bytes = encode({ o: origin, n, r: part } satisfies RecordsEnvelope);
    if (bytes.byteLength <= maxBytes) {
      payloads.push(bytes);
      return;
    }
    if (part.length === 1) {
      skipped++;
      return;
    }
    const half = part.length >> 1;
    emit(n, part.slice(0, half));
    emit(n + half, part.slice(half));
  };
  emit(counter, records);
  return { payloads, skipped };
}

/** Longest origin id accepted (ours are 22-char nuids). */
const MAX_ORIGIN_CHARS = 64;

/** Decodes a records message; undefined when it is not a well-formed envelope (records unchecked). */
export function decodeEnvelope(bytes: Uint8Array): RecordsEnvelope | undefined {
  const d = decode(bytes);
  if (!d.ok) return undefined;
  const v = d.value as Partial<RecordsEnvelope> | null;
  if (!v || typeof v !== 'object' || typeof v.o !== 'string' || v.o.length === 0 || v.o.length > MAX_ORIGIN_CHARS) return undefined;
  if (typeof v.n !== 'number' || !Number.isSafeInteger(v.n) || v.n < 0 || !Array.isArray(v.r)) return undefined;
  return v as RecordsEnvelope;
}

/**
 * Per-subscription loss and replay detector: remembers the next expected counter per
 * (origin, subject). An origin's counter only grows (NATS keeps one publisher's order), so an
 * envelope that starts below it is a copy of one already delivered (a replay) and is refused.
 * Bounded: forgets everything past `maxKeys` entries (a forgotten key just cannot report a loss).
 */
export class LossTracker {
  private next = new Map<string, number>();
  constructor(private readonly maxKeys = 50_000) {}

  /** Returns how many records were missed before this envelope, or 'replayed'. */
  observe(subject: string, env: RecordsEnvelope): number | 'replayed' {
    const key = `${env.o}\u0000${subject}`;
    const expected = this.next.get(key);
    if (expected !== undefined && env.n < expected) return 'replayed';
    if (expected === undefined && this.next.size >= this.maxKeys) this.next.clear();
    this.next.set(key, env.n + env.r.length);
    return expected !== undefined && env.n > expected ? env.n - expected : 0;
  }
}
