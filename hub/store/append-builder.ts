/**
 * One append built record by record (ingest's fast path, hub/ingest/fast-batch.ts): records copied
 * from a frame's bytes or validated records, each under the stream of its labels. `finish` gives
 * the segment for `Store.appendSegment`.
 */
import type { ValidRecord } from '../protocol/record.js';
import type { Severity } from '../protocol/severity.js';
import { SegmentWriter, type Segment } from './segment-writer.js';
import type { Stream, StreamTable } from './streams.js';

export class AppendBuilder {
  private readonly writer: SegmentWriter;

  constructor(private readonly streams: StreamTable, records: number, bytes: number) {
    this.writer = new SegmentWriter(records, bytes);
  }

  /** The stream of these labels (created, in memory, when new). Callers may keep it for later appends. */
  stream(service: string, severity: Severity, host: string | undefined, file: string | undefined): Stream {
    return this.streams.getOrCreate(service, severity, host, file);
  }

  /** A record whose message and fields are bytes of `src` (see SegmentWriter.addRaw). */
  addRaw(stream: Stream, ts: number, truncated: boolean, src: Uint8Array, msgStart: number, msgEnd: number, fieldsStart: number, fieldsEnd: number): void {
    this.writer.addRaw(this.live(stream).sid, ts, truncated, src, msgStart, msgEnd, fieldsStart, fieldsEnd);
  }

  addRecord(r: ValidRecord): void {
    this.writer.addRecord(r, this.stream(r.service, r.severity, r.host, r.file).sid);
  }

  get count(): number {
    return this.writer.count;
  }

  finish(): Segment {
    return this.writer.finish();
  }

  /** A kept stream may have been dropped since (emptied by a deletion): use the table's current one. */
  private live(s: Stream): Stream {
    return this.streams.byId[s.sid] === s ? s : this.stream(s.service, s.severity, s.host, s.file);
  }
}
