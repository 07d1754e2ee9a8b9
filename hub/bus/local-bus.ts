/**
 * The in-process bus: one hub, no network (the default without `--nats`). Also the local half
 * of the NATS bus, which delivers this hub's own records in-process so its tails never depend on
 * NATS being up.
 *
 * Delivery is synchronous, inside `publishRecords` (which runs right after a commit): handlers
 * must be cheap (the live tail only queues and schedules a flush) and a throwing handler is
 * isolated from ingest and from the other handlers. Records are passed by reference, not
 * copied: subscribers must treat them as read-only.
 */
import type { WireRecord } from '../protocol/frames.js';
import { SUBJECT_ROOT } from '../protocol/subjects.js';
import { groupBySubject } from './envelope.js';
import { subjectMatches, type Bus, type BusEvent, type BusReply, type BusStatus, type BusSubscription, type RecordsHandler, type RequestHandler } from './bus.js';

export interface LocalBusOptions {
  /** Subject root; default `logwire`. */
  root?: string;
  /** Called when a subscriber throws (it is otherwise ignored). */
  onHandlerError?: (err: unknown) => void;
}

/** Largest payload the local bus accepts; matches a NATS default so callers behave alike. */
const LOCAL_MAX_PAYLOAD_BYTES = 1024 * 1024;

interface Sub<H> {
  pattern: string;
  handler: H;
  active: boolean;
}

/** Subscriptions by pattern, with a per-subject cache of who matches (invalidated on change). */
class Subscribers<H> {
  private subs: Array<Sub<H>> = [];

  get size(): number {
    return this.subs.length;
  }
  private cache = new Map<string, Array<Sub<H>>>();

  add(pattern: string, handler: H): BusSubscription {
    const sub: Sub<H> = { pattern, handler, active: true };
    this.subs.push(sub);
    this.cache.clear();
    return {
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.subs = this.subs.filter((s) => s !== sub);
        this.cache.clear();
      },
    };
  }

  matching(subject: string): Array<Sub<H>> {
    let hit = this.cache.get(subject);
    if (!hit) {
      hit = this.subs.filter((s) => subjectMatches(s.pattern, subject));
      if (this.cache.size > 10_000) this.cache.clear(); // many services: keep memory bounded
      this.cache.set(subject, hit);
    }
    return hit;
  }

  clear(): void {
    for (const s of this.subs) s.active = false;
    this.subs = [];
    this.cache.clear();
  }
}

export class LocalBus implements Bus {
  readonly kind = 'local' as const;
  readonly root: string;
  private readonly records = new Subscribers<RecordsHandler>();
  private readonly raw = new Subscribers<(data: Uint8Array, subject: string) => void>();
  private readonly servers = new Map<string, RequestHandler>();
  private closed = false;
  private readonly onHandlerError: (err: unknown) => void;

  constructor(opts: LocalBusOptions = {}) {
    this.root = opts.root ?? SUBJECT_ROOT;
    this.onHandlerError = opts.onHandlerError ?? (() => undefined);
  }

  wantsRecords(): boolean {
    return !this.closed && this.records.size > 0;
  }

  publishRecords(records: WireRecord[]): void {
    // With nobody tailing, grouping every stored record by subject is pure overhead on ingest.
    if (!this.wantsRecords() || records.length === 0) return;
    for (const [subject, group] of groupBySubject(records, this.root)) this.deliverRecords(subject, group, 0);
  }

  /** Delivers one group to local subscribers (also used by the NATS bus for its own records). */
  deliverRecords(subject: string, group: WireRecord[], lost: number): void {
    for (const sub of this.records.matching(subject)) {
      if (!sub.active) continue;
      try {
        sub.handler(group, { subject, lost });
      } catch (err) {
        this.onHandlerError(err);
      }
    }
  }

  subscribeRecords(pattern: string, handler: RecordsHandler): BusSubscription {
    return this.records.add(pattern, handler);
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.closed) return;
    for (const sub of this.raw.matching(subject)) {
      if (!sub.active) continue;
      try {
        sub.handler(data, subject);
      } catch (err) {
        this.onHandlerError(err);
      }
    }
  }

  subscribe(subject: string, handler: (data: Uint8Array, subject: string) => void): BusSubscription {
    return this.raw.add(subject, handler);
  }

  serve(subject: string, handler: RequestHandler): BusSubscription {
    this.servers.set(subject, handler);
    return { unsubscribe: () => { if (this.servers.get(subject) === handler) this.servers.delete(subject); } };
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<BusReply> {
    if (this.closed) return { ok: false, code: 'closed', message: 'the bus is closed' };
    const handler = this.servers.get(subject);
    if (!handler) return { ok: false, code: 'no_responders', message: `nothing answers on ${subject}` };
    if (data.byteLength > LOCAL_MAX_PAYLOAD_BYTES) return { ok: false, code: 'too_large', message: `request of ${data.byteLength} bytes is over the ${LOCAL_MAX_PAYLOAD_BYTES}-byte limit` };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<BusReply>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, code: 'timeout', message: `no reply on ${subject} within ${timeoutMs} ms` }), timeoutMs);
    });
    const answer = (async (): Promise<BusReply> => {
      try {
        return { ok: true, data: await handler(data) };
      } catch (err) {
        return { ok: false, code: 'failed', message: (err as Error).message };
      }
    })();
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async flush(): Promise<void> {
    // delivery is synchronous: nothing is ever in flight
  }

  maxPayloadBytes(): number {
    return LOCAL_MAX_PAYLOAD_BYTES;
  }

  status(): BusStatus {
    return this.closed ? { ok: false, kind: 'local', error: 'closed' } : { ok: true, kind: 'local' };
  }

  onEvent(_listener: (event: BusEvent) => void): () => void {
    return () => undefined; // the in-process bus never changes state
  }

  async close(): Promise<void> {
    this.closed = true;
    this.records.clear();
    this.raw.clear();
    this.servers.clear();
  }
}

export function openLocalBus(opts: LocalBusOptions = {}): LocalBus {
  return new LocalBus(opts);
}
