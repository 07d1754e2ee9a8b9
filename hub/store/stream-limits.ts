/**
 * Stream limits (issue 8, `--max-streams`, `--max-streams-per-service`): every distinct label
 * tuple costs memory for as long as it holds records, so a client that puts a request id into
 * `host` or `file` could otherwise grow the hub without bound. A record whose stream already
 * exists is always admitted; one that would create a stream past a limit is refused alone with
 * `stream_limit` (the rest of its batch is stored). The check sits where streams are created
 * (append-builder.ts), for every ingest path; new streams are created when an append arrives,
 * so appends of the same event-loop turn count each other's.
 */
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

/** Whether one more stream of `service` stays within the limits. */
export function fits(table: StreamTable, service: string, limits: StreamLimits): boolean {
  return table.size < limits.maxStreams && table.countOf(service) < limits.maxStreamsPerService;
}
