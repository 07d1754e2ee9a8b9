/**
 * The indexer's worker thread: receives `{ first, value }` (a group's log value, log.ts), builds
 * its chunks and text indexes (index-build.ts) and posts the result back. Pure computation, no
 * LMDB: the main thread commits the result, so the store keeps one writer and one stream table.
 */
import { parentPort } from 'node:worker_threads';
import { buildIndexGroup } from './index-build.js';

parentPort!.on('message', (msg: { first: number; value: Uint8Array }) => {
  try {
    parentPort!.postMessage({ ok: true, group: buildIndexGroup(msg.first, msg.value) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, first: msg.first, message: (err as Error).message });
  }
});
