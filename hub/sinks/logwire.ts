/**
 * `logwire` sink: forwards to another hub over the shipper protocol (docs/protocol.md, WebSocket
 * ingest), exactly once.
 *
 * Why exactly once holds across crashes of either side: the shipper id is stable
 * (`sink-<name>@<this hub id>`) and every batch frame's seq is derived from the store, not from a
 * counter: seq = (local lseq of the last record the frame covers) + 1. A resend after any failure
 * therefore carries the same seq for the same records, and the receiving hub acks it again without
 * storing it again. After a reconnect, `welcome.acked` says which lseqs the receiver already holds
 * (everything below `acked`), so records at or below it are not sent even if our cursor was older.
 *
 * A batch bigger than the receiver's `max_batch_bytes` goes as several frames, each with the seq of
 * its own last record, still strictly increasing. Records the receiver rejects alone (validation,
 * a token limited to other services) are counted as skipped by the receiver's reason.
 */
import WebSocket from 'ws';
import type { IncomingRecord, WireRecord } from '../protocol/frames.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import { PROTOCOL_VERSION } from '../protocol/frames.js';
import { idLseq } from './reader.js';
import type { SinkConfig } from './config.js';
import { describe } from './http-post.js';
import { sinkHeaders } from './http-post.js';
import type { SendOutcome, SinkBatch, SinkSender } from './types.js';

interface Link {
  ws: WebSocket;
  /** Receiver holds every seq up to this (welcome, then acks). */
  acked: number;
  maxBatchBytes: number;
  maxInflight: number;
  waiters: Map<number, (ack: { rejected: Array<{ reason: string }> } | Error) => void>;
}

/** Bytes of frame overhead kept free under the receiver's limit. */
const FRAME_SLACK_BYTES = 4096;

function lseqOf(r: WireRecord): number {
  return idLseq(r.id);
}

/** The record as a client sends it; the first hop's id is kept in `fields.logwire_id`. */
export function toIncoming(r: WireRecord): IncomingRecord {
  const fields: Record<string, unknown> = { ...r.fields };
  if (fields.logwire_id === undefined) fields.logwire_id = r.id;
  const out: IncomingRecord = { ts: r.ts, service: r.service, severity: r.severity, message: r.message, fields };
  if (r.host !== undefined) out.host = r.host;
  if (r.file !== undefined) out.file = r.file;
  if (r.truncated) out.truncated = true;
  return out;
}

export function sinkShipperId(name: string, hubId: string): string {
  return `sink-${name}@${hubId}`;
}

export function createLogwireSink(cfg: SinkConfig, hubId: string, host: string): SinkSender {
  const shipper = sinkShipperId(cfg.name, hubId);
  let link: Link | undefined;
  let connecting: Promise<Link> | undefined;
  let closed = false;

  const connect = (): Promise<Link> =>
    new Promise<Link>((resolve, reject) => {
      const ws = new WebSocket(cfg.url, {
        headers: sinkHeaders(cfg),
        perMessageDeflate: false,
        handshakeTimeout: cfg.timeoutMs,
        ca: cfg.tls.ca,
        rejectUnauthorized: cfg.tls.rejectUnauthorized,
      });
      let l: Link | undefined;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`no welcome within ${cfg.timeoutMs} ms`));
      }, cfg.timeoutMs);
      const down = (why: Error) => {
        clearTimeout(timer);
        reject(why);
        if (l) {
          if (link === l) link = undefined;
          for (const w of l.waiters.values()) w(why);
          l.waiters.clear();
        }
      };
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        ws.terminate();
        const hint = res.statusCode === 401 || res.statusCode === 403 ? ' (check the sink token: it needs the ingest scope)' : '';
        down(new Error(`answered HTTP ${res.statusCode} instead of upgrading${hint}`));
      });
      ws.on('open', () => ws.send(encodeFrame({ type: 'hello', shipper, host, version: PROTOCOL_VERSION })));
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return;
        const r = decodeFrame(data);
        if (!r.ok) return;
        const f = r.frame;
        if (f.type === 'welcome' && !l) {
          clearTimeout(timer);
          l = { ws, acked: Number(f.acked) || 0, maxBatchBytes: Number(f.max_batch_bytes) || 1 << 20, maxInflight: Math.max(1, Number(f.max_inflight) || 1), waiters: new Map() };
          link = l;
          resolve(l);
        } else if (f.type === 'ack' && l) {
          l.acked = Math.max(l.acked, Number(f.seq) || 0);
          const w = l.waiters.get(f.seq);
          l.waiters.delete(f.seq);
          w?.({ rejected: Array.isArray(f.rejected) ? f.rejected : [] });
        } else if (f.type === 'error') {
          down(new Error(`reported ${f.code}: ${f.message}`));
        }
      });
      ws.on('error', (err) => down(new Error(describe(err))));
      ws.on('close', (code) => down(new Error(`closed the connection (${code})`)));
    });

  const getLink = async (): Promise<Link> => {
    if (link && link.ws.readyState === WebSocket.OPEN) return link;
    connecting ??= connect().finally(() => (connecting = undefined));
    return connecting;
  };

  /** Splits records into frames under the receiver's limit; each gets the seq of its last record. */
  const frames = (records: WireRecord[], batch: SinkBatch, maxBytes: number): Array<{ seq: number; records: WireRecord[]; bytes: Buffer }> => {
    const out: Array<{ seq: number; records: WireRecord[]; bytes: Buffer }> = [];
    const build = (part: WireRecord[], last: boolean): void => {
      const seq = last ? batch.endLseq + 1 : lseqOf(part[part.length - 1]) + 1;
      const bytes = encodeFrame({ type: 'batch', seq, records: part.map(toIncoming) });
      if (bytes.length > maxBytes - FRAME_SLACK_BYTES && part.length > 1) {
        const mid = part.length >> 1;
        build(part.slice(0, mid), false);
        build(part.slice(mid), last);
      } else out.push({ seq, records: part, bytes });
    };
    build(records, true);
    return out;
  };

  return {
    async send(records, batch): Promise<SendOutcome> {
      let l: Link;
      try {
        l = await getLink();
      } catch (err) {
        return { retry: records, error: `${cfg.url} ${(err as Error).message}` };
      }
      if (l.acked > batch.endLseq) return { retry: [] };
      // Everything below `acked` is stored there already (an earlier, larger resend).
      const todo = l.acked > 0 ? records.filter((r) => lseqOf(r) >= l.acked) : records;
      if (todo.length === 0) return { retry: [] };
      const parts = frames(todo, batch, l.maxBatchBytes);
      const skipped: Record<string, number> = {};
      const retry: WireRecord[] = [];
      let error: string | undefined;
      let next = 0;
      const inflight = new Set<Promise<void>>();
      const sendOne = (p: (typeof parts)[number]): Promise<void> =>
        new Promise<void>((done) => {
          const timer = setTimeout(() => {
            l.waiters.delete(p.seq);
            l.ws.terminate();
            retry.push(...p.records);
            error ??= `${cfg.url} did not ack within ${cfg.timeoutMs} ms`;
            done();
          }, cfg.timeoutMs);
          l.waiters.set(p.seq, (ack) => {
            clearTimeout(timer);
            if (ack instanceof Error) {
              retry.push(...p.records);
              error ??= `${cfg.url} ${ack.message}`;
            } else {
              for (const rej of ack.rejected) skipped[rej.reason] = (skipped[rej.reason] ?? 0) + 1;
            }
            done();
          });
          l.ws.send(p.bytes, { binary: true }, (err) => {
            if (err) l.waiters.get(p.seq)?.(new Error(describe(err)));
          });
        });
      while (next < parts.length || inflight.size > 0) {
        while (next < parts.length && inflight.size < l.maxInflight && !closed && l.ws.readyState === WebSocket.OPEN) {
          const pr = sendOne(parts[next++]);
          inflight.add(pr);
          void pr.then(() => inflight.delete(pr));
        }
        if (inflight.size === 0) break;
        await Promise.race(inflight);
      }
      for (; next < parts.length; next++) retry.push(...parts[next].records);
      if (retry.length > 0 && !error) error = `${cfg.url} connection lost`;
      retry.sort((a, b) => (a.id < b.id ? -1 : 1));
      const out: SendOutcome = { retry, error };
      if (Object.keys(skipped).length > 0) {
        out.skipped = skipped;
        out.error ??= `${cfg.url} rejected ${Object.values(skipped).reduce((a, b) => a + b, 0)} record(s): ${Object.keys(skipped).join(', ')}`;
      }
      return out;
    },
    async close() {
      closed = true;
      const l = link;
      link = undefined;
      if (l && l.ws.readyState === WebSocket.OPEN) {
        await new Promise<void>((res) => {
          l.ws.once('close', () => res());
          l.ws.close(1000);
          setTimeout(() => {
            l.ws.terminate();
            res();
          }, 1000).unref();
        });
      } else l?.ws.terminate();
    },
  };
}
