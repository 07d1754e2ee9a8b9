/**
 * Deletion by RECEIVE order (`--max-disk`, docs/storage.md "Disk cap"): removes whole commit
 * groups from the oldest end of the `groups` db (keyed by rts first, so key order is receive
 * order) until the chunk bytes removed reach the amount asked for. Event times play no part, so a
 * record dated far ahead cannot pull newer records with it. Each step is one small transaction
 * through the group-commit writer and removes chunks with their meta, event-time index entries
 * and stream counters (dropWholeChunk), then the group's own entries; a stream left without
 * records is dropped (drop-streams.ts).
 */
import { decodeMeta } from './chunk.js';
import type { DeleteOutcome, Reindexed } from './delete.js';
import { dropEmptyGroups, dropWholeChunk, turn, undoReindexed } from './delete.js';
import { emptiedStreams, forgetEmpty } from './drop-streams.js';
import { decodeGroupValue } from './group.js';
import { chunkKey, parseGroupKey } from './keys.js';
import type { Op, StoreState } from './state.js';
import type { Stream } from './streams.js';
import type { GroupWriter, StepPlan } from './writer.js';

const STEP_MAX_CHUNKS = 256;

/** What a deletion by receive order did; `bytes` counts chunk values and metas removed. */
export interface OldestOutcome extends DeleteOutcome {
  bytes: number;
}

type OldestStep = OldestOutcome & { next: Buffer | undefined; emptied: Stream[] };

/** Deletes the oldest-received groups until at least `bytes` chunk bytes are gone (or none are left). */
export async function deleteOldestReceived(state: StoreState, writer: GroupWriter, bytes: number): Promise<OldestOutcome> {
  const out: OldestOutcome = { deleted: 0, skippedCorrupt: 0, bytes: 0 };
  let start: Buffer | undefined;
  while (out.bytes < bytes) {
    const from = start;
    const want = bytes - out.bytes;
    const r = await writer.step(() => planOldestStep(state, from, want));
    out.deleted += r.deleted;
    out.skippedCorrupt += r.skippedCorrupt;
    out.bytes += r.bytes;
    forgetEmpty(state, r.emptied);
    if (r.next === undefined) break;
    start = r.next;
    await turn();
  }
  await dropEmptyGroups(state, writer);
  await state.dbs.root.flushed;
  return out;
}

function planOldestStep(state: StoreState, from: Buffer | undefined, want: number): StepPlan<OldestStep> {
  state.dbs.root.resetReadTxn(); // see every commit made before this step
  const { groups, gtri, ctri, cmeta } = state.dbs;
  const ops: Op[] = [];
  const reindexed: Reindexed = [];
  const saved = new Map<Stream, Pick<Stream, 'n' | 'lastTs' | 'bytes'>>();
  const result: OldestStep = { deleted: 0, skippedCorrupt: 0, bytes: 0, next: undefined, emptied: [] };
  let chunks = 0;
  for (const { key, value } of groups.getRange(from ? { start: from } : {})) {
    if (result.bytes >= want) return plan(); // enough: next stays undefined
    if (chunks >= STEP_MAX_CHUNKS) {
      result.next = Buffer.from(key);
      return plan();
    }
    const gk = parseGroupKey(key);
    if (!gk) break;
    let sids: number[];
    try {
      sids = decodeGroupValue(value).streamIds;
    } catch {
      result.skippedCorrupt++; // unreadable group entry: keep it, never guess
      continue;
    }
    let whole = true;
    for (const sid of sids) {
      const s = state.streams.byId[sid];
      const raw = s && cmeta.get(chunkKey(sid, gk.firstLseq));
      if (!s || raw === undefined) continue;
      let meta;
      try {
        meta = decodeMeta(raw);
      } catch {
        result.skippedCorrupt++;
        whole = false;
        continue;
      }
      if (!saved.has(s)) saved.set(s, { n: s.n, lastTs: s.lastTs, bytes: s.bytes });
      result.deleted += dropWholeChunk(state, s, gk.firstLseq, meta, ops, reindexed);
      result.bytes += meta.valueBytes + raw.length;
      chunks++;
    }
    if (whole) ops.push({ db: groups, key }, { db: gtri, key }, { db: ctri, key });
  }
  return plan();

  function plan(): StepPlan<OldestStep> {
    const touched: Stream[] = [];
    for (const s of saved.keys()) {
      if (s.n > 0) {
        touched.push(s);
        continue;
      }
      s.n = 0;
      s.lastTs = -Infinity;
    }
    result.emptied = emptiedStreams(state, saved.keys(), ops); // left out of `touched`: their entries go
    if (saved.size > 0) state.streams.version++;
    return {
      ops,
      touched,
      result,
      undo() {
        for (const [s, before] of saved) Object.assign(s, before);
        undoReindexed(state, reindexed);
      },
    };
  }
}
