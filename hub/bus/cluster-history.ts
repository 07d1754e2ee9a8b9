/**
 * Cluster-wide history (docs/nats.md): every hub announces itself on `<root>.hubs.announce` and
 * answers history queries for its own store on `<root>.history.<hub id>`; a query on any hub
 * asks each known peer, merges the answers with its own in the query's order (by (timestamp, id)
 * for event-time listings, by id for receive order), and keeps `limit`.
 *
 * Invariants:
 * - Each peer is paged until it has given `limit` records or says it has no more, so the merged
 *   first `limit` records are exactly those of a single store holding every hub's records.
 * - A peer that does not answer in time costs only its part of the answer (logged at warn); a
 *   peer that has gone (no responders, or no announcement for `peerTtlMs`) is forgotten.
 * - A new peer is answered with an immediate announcement, so hubs learn of each other within
 *   one round trip instead of one announce interval.
 * - Peers are not trusted (docs/nats.md): announcements must name a well-formed hub id, at most
 *   `maxPeers` are tracked; every record of an answer is validated as ingest would and must
 *   match the query's filter; answers are held to byte budgets — per peer and query
 *   (`maxPeerAnswerBytes`), per query (`maxQueryPeerBytes`) and for the whole hub
 *   (`maxHeldPeerBytes`, all queries together) — so a hostile peer cannot grow this hub's memory
 *   beyond a fixed bound. An answer cut by a budget is logged and counted, never an error.
 * - Answering is bounded too: at most `maxConcurrentAnswers` at a time, each read from the store
 *   in pages until it fills the asker's byte limit.
 */
import type { History, HistoryQuery } from '../context.js';
import type { Logger } from '../log.js';
import { decode, encode } from '../protocol/codec.js';
import type { WireRecord } from '../protocol/frames.js';
import { DEFAULT_LIMITS, type ValidationLimits } from '../protocol/record.js';
import { matchRecord, type RecordFilter } from '../filter/filter.js';
import { MAX_PAGE_LIMIT } from '../protocol/programs.js';
import type { Bus, BusSubscription } from './bus.js';
import { ByteBudget } from './byte-budget.js';
import { createDropReporter, type BusDropCounters, type DropReporter } from './drops.js';
import { decodeReply, decodeRequest, encodeReplyWithin, encodeRequest, filterFromWire, filterToWire } from './history-wire.js';
import { checkPeerRecords, isPeerId, PeerRejectReason } from './peer-input.js';

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
  /** Bytes of answers one query takes from one peer; default 8 MiB. */
  maxPeerAnswerBytes?: number;
  /** Bytes of answers one query takes from all peers; default 32 MiB. */
  maxQueryPeerBytes?: number;
  /** Bytes of peer answers held by all queries running at once; default 64 MiB. */
  maxHeldPeerBytes?: number;
  /** Peers tracked; announcements of more are ignored; default 64. */
  maxPeers?: number;
  /** Peer requests answered at the same time; more are refused as busy; default 4. */
  maxConcurrentAnswers?: number;
  /** Limits records in answers are held to (this hub's ingest limits). */
  recordLimits?: ValidationLimits;
  /** Counts of refused messages and records (metrics). */
  drops?: BusDropCounters;
  /** Called when a peer's part of an answer was cut by a byte budget (metrics). */
  onAnswerCut?: (reason: 'peer_budget' | 'query_budget') => void;
  log?: Logger;
}

/** Largest page a hub asks a peer for. */
const MAX_PAGE = MAX_PAGE_LIMIT;
export const DEFAULT_MAX_PEER_ANSWER_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_QUERY_PEER_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_HELD_PEER_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_PEERS = 64;
const DEFAULT_MAX_CONCURRENT_ANSWERS = 4;
/** A page budget below this is not worth a round trip (one record may be ~130 KiB, most far less). */
const MIN_PAGE_BYTES = 4096;
/** Records read from the store per step while answering. */
const ANSWER_STORE_PAGE = 200;

export class ClusterHistory implements History {
  private readonly peersSeen = new Map<string, number>();
  private readonly subs: BusSubscription[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly offEvent: () => void;
  private readonly announceMs: number;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly held: ByteBudget;
  private readonly drops: DropReporter;
  private answering = 0;

  constructor(private readonly opts: ClusterHistoryOptions) {
    const { bus, hubId } = opts;
    this.announceMs = opts.announceIntervalMs ?? 2000;
    this.ttlMs = opts.peerTtlMs ?? this.announceMs * 3;
    this.timeoutMs = opts.requestTimeoutMs ?? 3000;
    this.held = new ByteBudget(opts.maxHeldPeerBytes ?? DEFAULT_MAX_HELD_PEER_BYTES);
    this.drops = createDropReporter(opts.log, opts.drops);
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
    if (!isPeerId(hub)) return this.drops.message('malformed', `${this.opts.bus.root}.hubs.announce`);
    if (hub === this.opts.hubId) return;
    const isNew = !this.peersSeen.has(hub);
    if (isNew && this.peers().length >= (this.opts.maxPeers ?? DEFAULT_MAX_PEERS)) return this.drops.message('too_many_peers', `${this.opts.bus.root}.hubs.announce`);
    this.peersSeen.set(hub, Date.now());
    if (isNew) {
      this.opts.log?.info({ peer: hub }, 'hub joined the cluster');
      this.announce();
    }
  }

  /** Answers a peer's request from this hub's own store. */
  private async answer(data: Uint8Array): Promise<Uint8Array> {
    const req = decodeRequest(data);
    if (!req) {
      this.drops.message('malformed', `${this.opts.bus.root}.history.${this.opts.hubId}`);
      throw new Error('malformed history request');
    }
    const parsed = filterFromWire(req.f);
    if (!parsed.ok) throw new Error(parsed.message);
    if (this.answering >= (this.opts.maxConcurrentAnswers ?? DEFAULT_MAX_CONCURRENT_ANSWERS)) throw new Error('busy: too many history requests at once; retry');
    this.answering++;
    try {
      const maxBytes = Math.min(req.maxBytes, this.opts.bus.maxPayloadBytes());
      const records = await this.readUpTo({ filter: parsed.filter, order: req.order, by: req.by, after: req.after, afterTs: req.afterTs, limit: Math.max(1, Math.min(MAX_PAGE, req.limit)) }, maxBytes);
      return encodeReplyWithin(records, maxBytes);
    } finally {
      this.answering--;
    }
  }

  /** Reads matches from the store until `limit` records or (roughly) `maxBytes`, whichever first. */
  private async readUpTo(q: HistoryQuery, maxBytes: number): Promise<WireRecord[]> {
    const out: WireRecord[] = [];
    let bytes = 0;
    let { after, afterTs } = q;
    while (out.length < q.limit && bytes <= maxBytes) {
      const want = Math.min(ANSWER_STORE_PAGE, q.limit - out.length);
      const page = await this.opts.local.query({ ...q, after, afterTs, limit: want });
      for (const r of page) {
        out.push(r);
        bytes += r.message.length + 64;
      }
      if (page.length < want) break;
      after = page[page.length - 1].id;
      afterTs = page[page.length - 1].ts;
    }
    return out;
  }

  async query(q: HistoryQuery): Promise<WireRecord[]> {
    const peers = this.peers();
    const held = peers.length > 0 ? this.held.take(this.opts.maxQueryPeerBytes ?? DEFAULT_MAX_QUERY_PEER_BYTES) : 0;
    const budget = new ByteBudget(held);
    try {
      const parts = await Promise.all([this.opts.local.query(q), ...peers.map((p) => this.askPeer(p, q, budget))]);
      if (parts.length === 1) return parts[0];
      return mergeParts(parts, q);
    } finally {
      this.held.give(held);
    }
  }

  /** Pages one peer until `limit` records, its last page, or a byte budget runs out. */
  private async askPeer(peer: string, q: HistoryQuery, budget: ByteBudget): Promise<WireRecord[]> {
    const out: WireRecord[] = [];
    const f = filterToWire(q.filter);
    const subject = `${this.opts.bus.root}.history.${peer}`;
    const limits = this.opts.recordLimits ?? DEFAULT_LIMITS;
    const keep = (r: WireRecord): string | undefined => (matchRecord(q.filter, r) ? undefined : PeerRejectReason.filterMismatch);
    // Leave room for the reply envelope and NATS headers.
    const pageBytes = Math.floor(this.opts.bus.maxPayloadBytes() * 0.9);
    let peerLeft = this.opts.maxPeerAnswerBytes ?? DEFAULT_MAX_PEER_ANSWER_BYTES;
    let after = q.after;
    let afterTs = q.afterTs;
    while (out.length < q.limit) {
      const want = Math.min(pageBytes, peerLeft);
      const maxBytes = budget.take(want);
      // Which budget, if any, made this page smaller than a full one.
      const limitedBy = maxBytes < want ? 'query_budget' : want < pageBytes ? 'peer_budget' : undefined;
      if (maxBytes < MIN_PAGE_BYTES) {
        budget.give(maxBytes);
        this.answerCut(peer, limitedBy ?? 'peer_budget');
        break;
      }
      const limit = Math.min(MAX_PAGE, q.limit - out.length);
      const reply = await this.opts.bus.request(subject, encodeRequest({ f, order: q.order, by: q.by, after, afterTs, limit, maxBytes }), this.timeoutMs);
      const used = reply.ok ? Math.min(reply.data.byteLength, maxBytes) : 0;
      budget.give(maxBytes - used);
      peerLeft -= used;
      if (!reply.ok) {
        if (reply.code === 'no_responders') this.peersSeen.delete(peer);
        this.opts.log?.warn({ peer, code: reply.code, error: reply.message }, 'a peer hub did not answer a history query; the answer lacks its records');
        break;
      }
      if (reply.data.byteLength > maxBytes) {
        this.drops.message('answer_too_large', subject);
        break;
      }
      const page = decodeReply(reply.data);
      if (!page) {
        this.drops.message('malformed', subject);
        break;
      }
      const raw = page.records.length > limit ? page.records.slice(0, limit) : page.records;
      out.push(...checkPeerRecords(raw, limits, (reason) => this.drops.record(reason, subject), keep));
      const last = raw[raw.length - 1] as { id?: unknown; ts?: unknown } | undefined;
      if (page.more && raw.length === 0 && limitedBy) this.answerCut(peer, limitedBy); // the next record did not fit what was left
      if (!page.more || typeof last?.id !== 'string') break;
      after = last.id;
      afterTs = typeof last.ts === 'number' ? last.ts : undefined;
    }
    return out;
  }

  private answerCut(peer: string, reason: 'peer_budget' | 'query_budget'): void {
    this.opts.onAnswerCut?.(reason);
    this.opts.log?.warn({ peer, reason }, 'a peer hub\'s part of a history answer was cut at its byte budget; the answer lacks some of its records');
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.offEvent();
    for (const s of this.subs) s.unsubscribe();
  }
}

/**
 * Merges the hubs' answers (each already in the query's order) into the first `limit`, dropping
 * repeats: a linear k-way merge — by (timestamp, id) for event-time listings, by id for receive
 * order — so a big cluster answer costs no sort on the event loop.
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
