/**
 * Cluster-wide history (SPEC §7): every hub announces itself on `<root>.hubs.announce` and
 * answers history queries for its own store on `<root>.history.<hub id>`; a query on any hub
 * asks each known peer, merges the answers with its own in the query's order — by (timestamp, id)
 * for event-time listings, by id for receive order — and keeps `limit`.
 *
 * Invariants:
 * - Each peer is paged until it has given `limit` records or says it has no more, so the merged
 *   first `limit` records are exactly those of a single store holding every hub's records.
 * - A peer that does not answer in time costs only its part of the answer (logged at warn); a
 *   peer that has gone (no responders, or no announcement for `peerTtlMs`) is forgotten.
 * - A new peer is answered with an immediate announcement, so hubs learn of each other within
 *   one round trip instead of one announce interval.
 */
import type { History, HistoryQuery } from '../context.js';
import type { Logger } from '../log.js';
import { decode, encode } from '../protocol/codec.js';
import type { WireRecord } from '../protocol/frames.js';
import type { Bus, BusSubscription } from './bus.js';
import { decodeReply, decodeRequest, encodeReplyWithin, encodeRequest, filterFromWire, filterToWire } from './history-wire.js';

export interface ClusterHistoryOptions {
  bus: Bus;
  /** This hub's own store. */
  local: History;
  hubId: string;
  /** How often this hub announces itself; default 2000 ms. */
  announceIntervalMs?: number;
  /** A peer not heard from for this long is forgotten; default 3 × announceIntervalMs. */
  peerTtlMs?: number;
  /** Per-request timeout towards one peer; default 3000 ms. */
  requestTimeoutMs?: number;
  log?: Logger;
}

/** Largest page a hub asks a peer for. */
const MAX_PAGE = 10_000;

export class ClusterHistory implements History {
  private readonly peersSeen = new Map<string, number>();
  private readonly subs: BusSubscription[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly offEvent: () => void;
  private readonly announceMs: number;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ClusterHistoryOptions) {
    const { bus, hubId } = opts;
    this.announceMs = opts.announceIntervalMs ?? 2000;
    this.ttlMs = opts.peerTtlMs ?? this.announceMs * 3;
    this.timeoutMs = opts.requestTimeoutMs ?? 3000;
    this.subs.push(bus.subscribe(`${bus.root}.hubs.announce`, (data) => this.onAnnounce(data)));
    this.subs.push(bus.serve(`${bus.root}.history.${hubId}`, (data) => this.answer(data)));
    this.offEvent = bus.onEvent((e) => { if (e.type !== 'disconnected') this.announce(); });
    this.timer = setInterval(() => this.announce(), this.announceMs);
    this.timer.unref();
    void bus.flush().then(() => this.announce());
  }

  /** Hub ids of the peers currently known (not this hub). */
  peers(): string[] {
    const now = Date.now();
    for (const [id, seen] of this.peersSeen) if (now - seen > this.ttlMs) this.peersSeen.delete(id);
    return [...this.peersSeen.keys()];
  }

  private announce(): void {
    this.opts.bus.publish(`${this.opts.bus.root}.hubs.announce`, encode({ hub: this.opts.hubId, at: Date.now() }));
  }

  private onAnnounce(data: Uint8Array): void {
    const d = decode(data);
    const hub = d.ok ? (d.value as { hub?: unknown } | null)?.hub : undefined;
    if (typeof hub !== 'string' || hub === this.opts.hubId) return;
    const isNew = !this.peersSeen.has(hub);
    this.peersSeen.set(hub, Date.now());
    if (isNew) {
      this.opts.log?.info({ peer: hub }, 'hub joined the cluster');
      this.announce();
    }
  }

  /** Answers a peer's request from this hub's own store. */
  private async answer(data: Uint8Array): Promise<Uint8Array> {
    const req = decodeRequest(data);
    if (!req) throw new Error('malformed history request');
    const parsed = filterFromWire(req.f);
    if (!parsed.ok) throw new Error(parsed.message);
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(req.limit)));
    const records = await this.opts.local.query({ filter: parsed.filter, order: req.order, by: req.by, after: req.after, afterTs: req.afterTs, limit });
    return encodeReplyWithin(records, Math.min(req.maxBytes, this.opts.bus.maxPayloadBytes()));
  }

  async query(q: HistoryQuery): Promise<WireRecord[]> {
    const peers = this.peers();
    const parts = await Promise.all([this.opts.local.query(q), ...peers.map((p) => this.askPeer(p, q))]);
    if (parts.length === 1) return parts[0];
    return mergeParts(parts, q);
  }

  private async askPeer(peer: string, q: HistoryQuery): Promise<WireRecord[]> {
    const out: WireRecord[] = [];
    const f = filterToWire(q.filter);
    // Leave room for the reply envelope and NATS headers.
    const maxBytes = Math.floor(this.opts.bus.maxPayloadBytes() * 0.9);
    let after = q.after;
    let afterTs = q.afterTs;
    while (out.length < q.limit) {
      const limit = Math.min(MAX_PAGE, q.limit - out.length);
      const reply = await this.opts.bus.request(`${this.opts.bus.root}.history.${peer}`, encodeRequest({ f, order: q.order, by: q.by, after, afterTs, limit, maxBytes }), this.timeoutMs);
      if (!reply.ok) {
        if (reply.code === 'no_responders') this.peersSeen.delete(peer);
        this.opts.log?.warn({ peer, code: reply.code, error: reply.message }, 'a peer hub did not answer a history query; the answer lacks its records');
        break;
      }
      const page = decodeReply(reply.data);
      if (!page) {
        this.opts.log?.warn({ peer }, 'a peer hub sent a malformed history answer');
        break;
      }
      out.push(...page.records);
      if (!page.more || page.records.length === 0) break;
      after = page.records[page.records.length - 1].id;
      afterTs = page.records[page.records.length - 1].ts;
    }
    return out;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.offEvent();
    for (const s of this.subs) s.unsubscribe();
  }
}

/**
 * Merges the hubs' answers (each already in the query's order) into the first `limit`, dropping
 * repeats: a linear k-way merge, so a big cluster answer costs no sort on the event loop.
 */
export function mergeParts(parts: WireRecord[][], q: HistoryQuery): WireRecord[] {
  const byId = (a: WireRecord, b: WireRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const asc = q.by === 'event' ? (a: WireRecord, b: WireRecord) => a.ts - b.ts || byId(a, b) : byId;
  const cmp = q.order === 'asc' ? asc : (a: WireRecord, b: WireRecord) => asc(b, a);
  const at = parts.map(() => 0);
  const seen = new Set<string>();
  const out: WireRecord[] = [];
  while (out.length < q.limit) {
    let best = -1;
    for (let p = 0; p < parts.length; p++) {
      if (at[p] < parts[p].length && (best < 0 || cmp(parts[p][at[p]], parts[best][at[best]]) < 0)) best = p;
    }
    if (best < 0) break;
    const r = parts[best][at[best]++];
    if (!seen.has(r.id)) {
      seen.add(r.id);
      out.push(r);
    }
  }
  return out;
}

export function openClusterHistory(opts: ClusterHistoryOptions): ClusterHistory {
  return new ClusterHistory(opts);
}
