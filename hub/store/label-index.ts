/**
 * Streams by label tuple, in memory: service → severity → host → file. Four lookups of strings
 * already hashed (about 3× faster on the ingest path than building one composite key per
 * record). A host with one file — the usual case, and the only one when hosts are many — holds
 * its stream directly instead of a map of one, which saves ~150 bytes per stream; a second file
 * turns it into a map. Empty levels are removed, so memory follows the streams that exist.
 */
import type { Severity } from '../protocol/severity.js';

/** What the index needs of a stream: its labels. */
export interface Labelled {
  readonly service: string;
  readonly severity: Severity;
  readonly host: string | undefined;
  readonly file: string | undefined;
}

type ByFile<S> = Map<string | undefined, S>;
type ByHost<S> = Map<string | undefined, S | ByFile<S>>;

export class LabelIndex<S extends Labelled> {
  private readonly root = new Map<string, Map<Severity, ByHost<S>>>();

  get(service: string, severity: Severity, host: string | undefined, file: string | undefined): S | undefined {
    const v = this.root.get(service)?.get(severity)?.get(host);
    if (v === undefined) return undefined;
    if (v instanceof Map) return v.get(file);
    return v.file === file ? v : undefined;
  }

  /** Puts `s` under its labels; the slot must be free (get() returned undefined). */
  set(s: S): void {
    let bySev = this.root.get(s.service);
    if (!bySev) this.root.set(s.service, (bySev = new Map()));
    let byHost = bySev.get(s.severity);
    if (!byHost) bySev.set(s.severity, (byHost = new Map()));
    const v = byHost.get(s.host);
    if (v === undefined) byHost.set(s.host, s);
    else if (v instanceof Map) v.set(s.file, s);
    else byHost.set(s.host, new Map([[v.file, v], [s.file, s]]));
  }

  /** Removes `s` if it is the one under its labels; returns whether it was. */
  delete(s: S): boolean {
    const bySev = this.root.get(s.service);
    const byHost = bySev?.get(s.severity);
    const v = byHost?.get(s.host);
    if (!bySev || !byHost || v === undefined) return false;
    if (v instanceof Map) {
      if (v.get(s.file) !== s) return false;
      v.delete(s.file);
      if (v.size === 0) byHost.delete(s.host);
    } else {
      if (v !== s) return false;
      byHost.delete(s.host);
    }
    if (byHost.size === 0) bySev.delete(s.severity);
    if (bySev.size === 0) this.root.delete(s.service);
    return true;
  }
}
