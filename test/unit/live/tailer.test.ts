import { describe, expect, it } from 'vitest';
import { Tailer, type TailSocket } from '../../../hub/live/tailer.js';
import { decode } from '../../../hub/protocol/codec.js';
import type { WireRecord } from '../../../hub/protocol/frames.js';
import { makeId } from '../../../hub/protocol/ids.js';

/** A socket that records what the tailer sends (the tailer's only dependency on uWS). */
function recordingSocket(): TailSocket & { records: () => string[] } {
  const frames: Uint8Array[] = [];
  return {
    send: (data) => { frames.push(data as Uint8Array); return 1; },
    getBufferedAmount: () => 0,
    end: () => undefined,
    records: () => frames.flatMap((f) => {
      const r = decode(f);
      return r.ok && (r.value as { type: string }).type === 'records' ? (r.value as { records: WireRecord[] }).records.map((x) => x.message) : [];
    }),
  };
}

const rec = (lseq: number, rts = 1_700_000_000_000): WireRecord => ({ id: makeId(rts, 'abcde', lseq), ts: rts, rts, service: 's', severity: 'INFO', message: `m${lseq}` });

describe('tailer', () => {
  it('tailer - after= handoff: live copies of records at or before the cursor are not sent again, even when the replay finds nothing', () => {
    const socket = recordingSocket();
    const t = new Tailer(socket, { format: 'msgpack', filter: {}, maxBufferedBytes: 1 << 20, stuckMs: 30_000, heartbeatMs: 5_000, maxFrameRecords: 1000, maxFrameBytes: 1 << 20, maxReplayBufferRecords: 1000 }, { schedule: () => undefined, sent: () => undefined, dropped: () => undefined });
    const cursor = rec(10).id;
    t.beginReplay(cursor);
    // Committed before the client's cursor, published after the tail subscribed:
    t.offer([rec(9), rec(10), rec(11)]);
    t.sendReplayPage([]); // nothing stored after the cursor yet
    t.endReplay();
    t.offer([rec(10), rec(12)]);
    t.flush();
    expect(socket.records()).toEqual(['m11', 'm12']);
  });
});
