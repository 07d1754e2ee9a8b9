/**
 * One append built record by record, each under the stream of its labels, within the stream
 * limits: validated records (every append, group.ts `prepareAppend`) or records copied from a
 * frame's bytes (ingest's fast path, hub/ingest/fast-batch.ts). `finish` gives the segment.
 */
import type { ValidRecord } from '../protocol/record.js';
import type { Severity } from '../protocol/severity.js';
import { SegmentWriter, type Segment } from './segment-writer.js';
import type { Stream, StreamTable } from './streams.js';
import { fits, type StreamLimits } from './stream-limits.js';

export class AppendBuilder {
  private readonly writer: SegmentWriter;

  /** `limits`: new streams past them are refused (stream-limits.ts). */
  constructor(private readonly streams: StreamTable, records: number, bytes: number, private readonly limits?: StreamLimits) {
    this.writer = new SegmentWriter(records, bytes);
  }

  /**
   * The stream of these labels, created (in memory) when new; undefined when a new one would pass
   * a stream limit (the record is then refused, `stream_limit`). Callers may keep it for later appends.
   */
  stream(service: string, severity: Severity, host: string | undefined, file: string | undefined): Stream | undefined {
    if (this.limits) {
      const known = this.streams.lookup(service, severity, host, file);
      if (known || !fits(this.streams, service, this.limits)) return known;
    }
    return this.streams.getOrCreate(service, severity, host, file);
  }

  /**
   * A record whose message and fields are bytes of `src` (see SegmentWriter.addRaw), under a stream
   * from `stream()`. False when that stream was dropped since and a new one would pass a limit.
   */
  addRaw(stream: Stream, ts: number, truncated: boolean, src: Uint8Array, msgStart: number, msgEnd: number, fieldsStart: number, fieldsEnd: number): boolean {
    const s = this.live(stream);
    if (s) this.writer.addRaw(s.sid, ts, truncated, src, msgStart, msgEnd, fieldsStart, fieldsEnd);
    return s !== undefined;
  }

  /** False when the record's stream would pass a stream limit (nothing added). */
  addRecord(r: ValidRecord): boolean {
    const s = this.stream(r.service, r.severity, r.host, r.file);
    if (s) this.writer.addRecord(r, s.sid);
    return s !== undefined;
  }

  get count(): number {
    return this.writer.count;
  }

  finish(): Segment {
    return this.writer.finish();
  }

  /** A kept stream may have been dropped since (emptied by a deletion): use the table's current one. */
  private live(s: Stream): Stream | undefined {
    return this.streams.byId[s.sid] === s ? s : this.stream(s.service, s.severity, s.host, s.file);
  }
}
