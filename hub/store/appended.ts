/**
 * The records of one stored append, as the ingest path hands them on (to the bus, for live tails
 * and other hubs). They become WireRecord objects only when asked for, from the group's log value:
 * with nobody listening, a stored batch never costs one object per record.
 */
import type { WireRecord } from '../protocol/frames.js';
import { idFromPrefix, idPrefix } from '../protocol/ids.js';
import { LogView } from './log.js';
import type { StreamTable } from './streams.js';
import { wireRecord } from './wire-record.js';

/** A committed group's log value, shared by its appends; parsed once, on first use. */
export interface LoggedValue {
  value: Buffer;
  first: number;
  rts: number;
  tag: string;
  streams: StreamTable;
  view?: LogView;
}

export class AppendedRecords {
  static readonly none = new AppendedRecords(undefined, 0, 0);
  readonly duplicate = false as const;
  private built?: WireRecord[];

  /** `refused`: indices of the append's records a stream limit kept out (stream-limits.ts). */
  constructor(private readonly group: LoggedValue | undefined, private readonly offset: number, readonly count: number, readonly refused?: number[]) {}

  /** The stored records with their ids and rts, in id order (built on first use). */
  get records(): WireRecord[] {
    if (this.built) return this.built;
    const g = this.group;
    const out: WireRecord[] = new Array(this.count);
    if (g && this.count > 0) {
      const view = (g.view ??= new LogView(g.value));
      const prefix = idPrefix(g.rts, g.tag);
      for (let k = 0; k < this.count; k++) {
        const i = this.offset + k;
        out[k] = wireRecord(idFromPrefix(prefix, g.first + i), g.rts, g.streams.byId[view.sids[i]]!, view.body(i));
      }
    }
    return (this.built = out);
  }
}
