/**
 * Cluster-wide history (SPEC §7): every hub announces itself on `<root>.hubs.announce` and
 * answers history queries for its own store on `<root>.history.<hub id>`; a query on any hub
 * asks each known peer, merges the answers with its own by id, and keeps `limit`.
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
import { MAX_PAGE_LIMIT } from '../protocol/programs.js';
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
const MAX_PAGE = MAX_PAGE_LIMIT;

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
    const records = await this.opts.local.query({ filter: parsed.filter, order: req.order, after: req.after, limit });
    return encodeReplyWithin(records, Math.min(req.maxBytes, this.opts.bus.maxPayloadBytes()));
  }

  async query(q: HistoryQuery): Promise<WireRecord[]> {
    const peers = this.peers();
    const parts = await Promise.all([this.opts.local.query(q), ...peers.map((p) => this.askPeer(p, q))]);
    if (parts.length === 1) return parts[0];
    const seen = new Set<string>();
    const all: WireRecord[] = [];
    for (const part of parts) for (const r of part) if (!seen.has(r.id)) { seen.add(r.id); all.push(r); }
    all.sort(q.order === 'asc' ? (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : (a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return all.length > q.limit ? all.slice(0, q.limit) : all;
  }

  private async askPeer(peer: string, q: HistoryQuery): Promise<WireRecord[]> {
    const out: WireRecord[] = [];
    const f = filterToWire(q.filter);
    // Leave room for the reply envelope and NATS headers.
    const maxBytes = Math.floor(this.opts.bus.maxPayloadBytes() * 0.9);
    let after = q.after;
    while (out.length < q.limit) {
      const limit = Math.min(MAX_PAGE, q.limit - out.length);
      const reply = await this.opts.bus.request(`${this.opts.bus.root}.history.${peer}`, encodeRequest({ f, order: q.order, after, limit, maxBytes }), this.timeoutMs);
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
    }
    return out;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.offEvent();
    for (const s of this.subs) s.unsubscribe();
  }
}

export function openClusterHistory(opts: ClusterHistoryOptions): ClusterHistory {
  return new ClusterHistory(opts);
}
