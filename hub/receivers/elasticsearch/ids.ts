/**
 * Elasticsearch `_id`s already stored, per index, so a resent bulk never stores a document
 * twice (docs/receivers.md "Elasticsearch"). Kept in its own LMDB environment beside the
 * store (`<data>/es-ids`). An id is written only after its record is durable: a crash in
 * between can, on a resend, store that one document again, but never lose it.
 * Key: [index, id]; value: the epoch ms it was first stored.
 */
import { open, type RootDatabase } from 'lmdb';
import { join } from 'node:path';

export interface EsIdIndex {
  /** True when stored before, or claimed by a bulk still in flight. */
  seen(index: string, id: string): boolean;
  /** Claims ids for an in-flight bulk; false (claiming nothing more) if one is already taken. */
  claim(index: string, id: string): boolean;
  /** Makes claimed ids permanent (after their records are durable). */
  commit(keys: Array<[string, string]>): Promise<void>;
  /** Releases claims of records that were not stored. */
  release(keys: Array<[string, string]>): void;
  close(): Promise<void>;
}

export function openEsIdIndex(dataDir: string): EsIdIndex {
  const db: RootDatabase<number, [string, string]> = open({ path: join(dataDir, 'es-ids'), noMemInit: true });
  const pending = new Set<string>();
  const pendingKey = (index: string, id: string) => `${index}\u0000${id}`;
  const seen = (index: string, id: string) => pending.has(pendingKey(index, id)) || db.get([index, id]) !== undefined;
  return {
    seen,
    claim(index, id) {
      if (seen(index, id)) return false;
      pending.add(pendingKey(index, id));
      return true;
    },
    async commit(keys) {
      if (keys.length === 0) return;
      const now = Date.now();
      try {
        await db.transaction(() => {
          for (const k of keys) db.put(k, now);
        });
      } finally {
        for (const [index, id] of keys) pending.delete(pendingKey(index, id));
      }
    },
    release(keys) {
      for (const [index, id] of keys) pending.delete(pendingKey(index, id));
    },
    close: () => db.close(),
  };
}
