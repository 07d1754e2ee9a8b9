/**
 * Stream limits (issue 8, `--max-streams`, `--max-streams-per-service`): every distinct label
 * tuple costs memory for as long as it holds records, so a client that puts a request id into
 * `host` or `file` could otherwise grow the hub without bound. A record whose stream already
 * exists is always admitted; one that would create a stream past a limit is refused alone with
 * `stream_limit` (the rest of its batch is stored). Admission creates the new streams at once
 * (with no records yet), so appends admitted in the same event-loop turn count each other's.
 */
import type { ValidRecord } from '../protocol/record.js';
import type { StreamTable } from './streams.js';

/** The reason a record is refused for a stream limit (docs/protocol.md). */
export const STREAM_LIMIT_REASON = 'stream_limit';
/** What a person should do about it (in HTTP error messages). */
export const STREAM_LIMIT_HINT = 'a new stream (service, severity, host, file) would pass --max-streams-per-service or --max-streams; send records under labels that already exist (no ids in host or file) or ask the operator to raise the limit';

/** How many streams the store and each service may have. */
export interface StreamLimits {
  maxStreams: number;
  maxStreamsPerService: number;
}

/**
 * Admission of appends under the limits. The usual case takes a fast path: even if every record
 * of the append and of the appends admitted before it that are not stored yet (`unbuilt`) made a
 * new stream, no limit would be passed; then nothing is looked up. Otherwise each new stream is
 * checked and created at once.
 */
export class StreamAdmission {
  /** Records admitted by the fast path whose streams may not exist yet. */
  private unbuilt = 0;

  constructor(private readonly table: StreamTable, private readonly limits: StreamLimits) {}

  /** Indices of the records refused (ascending); call `settled(records.length)` once the append is done. */
  admit(records: readonly ValidRecord[]): number[] {
    const n = records.length + this.unbuilt;
    const { table, limits } = this;
    this.unbuilt += records.length;
    if (table.size + n <= limits.maxStreams && table.largestServiceBound + n <= limits.maxStreamsPerService) return [];
    return admitStreams(table, records, limits);
  }

  settled(records: number): void {
    this.unbuilt -= records;
  }
}

/** Indices of the records refused because their stream would pass a limit (ascending). */
export function admitStreams(table: StreamTable, records: readonly ValidRecord[], limits: StreamLimits): number[] {
  const refused: number[] = [];
  let prev: ValidRecord | undefined;
  let prevOk = true;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    // Records of a batch mostly repeat the previous labels: decide once per run.
    if (!prev || r.service !== prev.service || r.severity !== prev.severity || r.host !== prev.host || r.file !== prev.file) {
      prev = r;
      prevOk = table.lookup(r.service, r.severity, r.host, r.file) !== undefined || (fits(table, r.service, limits) && table.getOrCreate(r.service, r.severity, r.host, r.file) !== undefined);
    }
    if (!prevOk) refused.push(i);
  }
  return refused;
}

/** Whether one more stream of `service` stays within the limits. */
export function fits(table: StreamTable, service: string, limits: StreamLimits): boolean {
  return table.size < limits.maxStreams && table.countOf(service) < limits.maxStreamsPerService;
}

/** The records not refused, in order. */
export function withoutRefused<T>(records: readonly T[], refused: readonly number[]): T[] {
  const out: T[] = [];
  let k = 0;
  for (let i = 0; i < records.length; i++) {
    if (k < refused.length && refused[k] === i) k++;
    else out.push(records[i]);
  }
  return out;
}
