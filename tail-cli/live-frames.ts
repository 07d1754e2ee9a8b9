/**
 * What the hub sends on a live tail (docs/protocol.md), turned into values: decoding a message (binary
 * MessagePack or a JSON text frame) and one stderr line for each notice a person should see.
 */
import type WebSocket from 'ws';
import { decodeFrame, type JsonRecord } from '../hub/protocol/index.js';
import { CliError } from './errors.js';
import { toPrintable } from './printable.js';

/** A decoded message: a frame map, or why it could not be read. */
export type Decoded = { frame: Record<string, unknown> } | { problem: string };

export function decodeMessage(data: WebSocket.RawData, isBinary: boolean): Decoded {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  let frame: unknown;
  if (isBinary) {
    const r = decodeFrame(bytes);
    if (!r.ok) return { problem: `unreadable frame from the hub (${r.message})` };
    frame = r.frame;
  } else {
    try {
      frame = JSON.parse(bytes.toString('utf8'));
    } catch {
      return { problem: 'unreadable text frame from the hub' };
    }
  }
  // A frame that is not a map is of no known type: ignored, like unknown types.
  return { frame: frame && typeof frame === 'object' ? (frame as Record<string, unknown>) : {} };
}

/** The printable records of a `records` frame; undefined when the frame is something else. */
export function recordsOf(frame: Record<string, unknown>): JsonRecord[] | undefined {
  if (frame.type !== 'records' || !Array.isArray(frame.records)) return undefined;
  // Records arrive as WireRecords (msgpack) or, from a JSON-speaking hub, in JSON shape.
  return frame.records.map(toPrintable).filter((r): r is JsonRecord => r !== undefined);
}

/** One stderr line for a `dropped` frame, with the running total. */
export function describeDropped(count: number, total: number): string {
  return `the hub dropped ${count} record${count === 1 ? '' : 's'} because this client fell behind (${total} dropped so far); they are in the history (GET /logs)`;
}

/** One stderr line for a `gap` frame (records the live stream may lack while the bus was out). */
export function describeGap(frame: Record<string, unknown>): string {
  const when = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 8.64e15 ? new Date(v).toISOString() : undefined);
  const count = typeof frame.count === 'number' ? `${frame.count} record${frame.count === 1 ? '' : 's'}` : 'records';
  const from = when(frame.from);
  const to = when(frame.to);
  const span = from && to ? ` between ${from} and ${to}` : from ? ` since ${from}` : '';
  const why = frame.reason === 'bus_lost' ? 'the hub lost its message bus'
    : frame.reason === 'bus_outage' ? "the hub's message bus was out"
      : `the hub reported a gap (${String(frame.reason ?? 'unknown')})`;
  return `${why}: ${count}${span} may be missing from the live stream; they are in the history (GET /logs)`;
}

/** Close codes after which reconnecting would only fail the same way (RFC 6455 §7.4.1). */
const FATAL_CLOSE = new Set([1002, 1003, 1007, 1008]);

export interface ClosedSocket {
  code: number;
  reason: string;
  /** Frames received on that connection: a 1008 before any is a refused filter. */
  framesOnSocket: number;
  /** The very first connection attempt (no session has opened yet). */
  firstAttempt: boolean;
  lastProblem: string;
  wsUrl: string;
}

/** After a close: a CliError when retrying would only fail the same way, else why (for the reconnect notice). */
export function judgeClose(c: ClosedSocket): CliError | string {
  // The hub also closes with 1008 a client too slow to read ("too slow: …") or one whose
  // token went away; only a 1008 before any frame is a refused filter. The others are worth
  // a reconnect: `after=` then replays what this client missed, and a revoked token gets a 401.
  const refused = c.code !== 1008 || (c.framesOnSocket === 0 && !/^too slow/i.test(c.reason));
  if (FATAL_CLOSE.has(c.code) && refused) return new CliError(`the hub closed the live tail (${c.code}): ${c.reason || c.lastProblem || 'policy violation'}`);
  if (c.firstAttempt && c.code === 1006 && c.lastProblem !== '' && !/timed out|nothing from/.test(c.lastProblem)) {
    // The very first connection failed at the network level: the hub is not there.
    return new CliError(`cannot reach the hub at ${c.wsUrl}: ${c.lastProblem}`);
  }
  return c.lastProblem || (c.reason ? `${c.code} ${c.reason}` : c.code === 1006 ? 'connection dropped' : `closed with ${c.code}`);
}
