/**
 * The NATS bus (`--nats nats://…`). Only hub/bus/nats-*.ts import `nats`; NatsError is translated
 * into BusReply codes and human messages (nats-errors.ts) and never leaves hub/bus/.
 *
 * Invariants:
 * - Opening never waits for NATS: the hub starts while NATS is down and a background loop
 *   connects (then nats.js reconnects forever). `status()` says why the bus is not ok.
 * - This hub's records reach its own subscribers in-process (a LocalBus inside), whatever the
 *   state of NATS; the connection uses `noEcho` so they are not delivered twice.
 * - While disconnected, publishing to NATS is skipped instead of buffered (nats.js would buffer
 *   without bound); the per-subject counters still advance, so other hubs count what they missed.
 * - Subscriptions made before the first connection are applied once it is up; nats.js replays
 *   them on every reconnect.
 * - NATS is not trusted (docs/nats.md): credentials come from flags (nats-auth.ts) and are never
 *   printed (URLs are redacted); every message in and out passes nats-guard.ts (signatures with a
 *   cluster secret, envelope shape, replays, records validated as ingest validates); every
 *   callback from nats.js is guarded, so nothing received can throw into the event loop.
 */
import { connect, createInbox, headers, Events, nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from '../log.js';
import type { WireRecord } from '../protocol/frames.js';
import type { ValidationLimits } from '../protocol/record.js';
import { SUBJECT_ROOT } from '../protocol/subjects.js';
import { LocalBus } from './local-bus.js';
import { encodeEnvelopes, groupBySubject, LossTracker } from './envelope.js';
import type { Bus, BusEvent, BusReply, BusStatus, BusSubscription, RecordsHandler, RequestHandler } from './bus.js';
import type { BusDropCounters } from './drops.js';
import { natsConnectionOptions, type NatsAuthOptions } from './nats-auth.js';
import { describeNatsError, replyError } from './nats-errors.js';
import { NatsGuard } from './nats-guard.js';
import { redactUrls } from './redact.js';

export interface NatsBusOptions {
  /** NATS server URLs, comma-separated. */
  servers: string;
  /** Subject root; default `logwire`. */
  root?: string;
  /** Connection name shown by the NATS server (e.g. `logwire-hub <hub id>`). */
  name?: string;
  /** Wait between connection attempts; default 1000 ms. */
  reconnectWaitMs?: number;
  /** Time allowed for one connection attempt; default 2000 ms. */
  connectTimeoutMs?: number;
  /** Ping interval; a dead server is noticed after about `pingIntervalMs * 2`; default 5000 ms. */
  pingIntervalMs?: number;
  /** Credentials and TLS for the connection. */
  auth?: NatsAuthOptions;
  /** `--cluster-secret`: sign everything sent, ignore whatever is not signed with it. */
  clusterSecret?: string;
  /** Limits records received from NATS are held to (this hub's ingest limits). */
  recordLimits?: ValidationLimits;
  /** Where counts of refused messages and records go (metrics). */
  drops?: BusDropCounters;
  log?: Logger;
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Set on an answer whose payload is an error message (UTF-8) instead of a reply. */
const ERROR_HEADER = 'Logwire-Error';

interface NatsSubSpec {
  pattern: string;
  onMsg: (msg: Msg) => void;
  sub?: Subscription;
  active: boolean;
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  readonly root: string;
  /** Random per process: the `o` of our envelopes. */
  readonly origin = nuid.next();
  private readonly local: LocalBus;
  private nc?: NatsConnection;
  private connected = false;
  private closed = false;
  private stateSinceMs = Date.now();
  private openedAtMs = Date.now();
  private lastError: string | undefined = 'connecting';
  private reconnects = 0;
  private readonly counters = new Map<string, number>();
  private readonly natsSubs = new Set<NatsSubSpec>();
  private readonly listeners = new Set<(e: BusEvent) => void>();
  private readonly log?: Logger;
  private connecting?: Promise<void>;
  private wake?: () => void;
  /** Where answers to this hub's requests arrive: `_INBOX_<root>.…` (docs/nats.md). */
  private readonly inboxPrefix: string;
  /** The servers as printed: credentials in URLs redacted. */
  private readonly shownServers: string;
  private readonly guard: NatsGuard;

  constructor(private readonly opts: NatsBusOptions) {
    this.root = opts.root ?? SUBJECT_ROOT;
    this.log = opts.log;
    this.shownServers = redactUrls(opts.servers);
    this.inboxPrefix = `_INBOX_${this.root}`;
    this.guard = new NatsGuard({ clusterSecret: opts.clusterSecret, recordLimits: opts.recordLimits, drops: opts.drops, log: this.log });
    this.local = new LocalBus({ root: this.root, onHandlerError: (err) => this.log?.warn({ err }, 'bus subscriber failed') });
    this.connecting = this.connectLoop();
  }

  // ---- connection lifecycle -------------------------------------------------------------

  private async connectLoop(): Promise<void> {
    let attempts = 0;
    while (!this.closed) {
      attempts++;
      try {
        const nc = await connect({
          ...natsConnectionOptions(this.opts.servers, this.opts.auth),
          // Our own inbox prefix, so NATS permissions can keep everyone else off our answers.
          inboxPrefix: this.inboxPrefix,
          name: this.opts.name ?? 'logwire-hub',
          noEcho: true,
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.opts.reconnectWaitMs ?? 1000,
          timeout: this.opts.connectTimeoutMs ?? 2000,
          pingInterval: this.opts.pingIntervalMs ?? 5000,
          maxPingOut: 2,
        });
        if (this.closed) {
          await nc.close();
          return;
        }
        this.attach(nc, attempts > 1);
        return;
      } catch (err) {
        let why = describeNatsError(err);
        const tls = this.opts.auth?.tlsCaFile || this.opts.auth?.tlsCertFile;
        if (tls && why === 'connection timed out' && !this.opts.auth?.tlsCertFile) why += ' (a NATS server that verifies clients waits for a certificate: --nats-tls-cert/--nats-tls-key)';
        if (attempts === 1 || why !== this.lastError) {
          this.log?.warn({ nats: this.shownServers, error: why }, 'NATS is unreachable; the hub runs and stores records, cross-hub fan-out waits; retrying in the background');
        }
        this.lastError = why;
        await new Promise<void>((r) => {
          const t = setTimeout(r, this.opts.reconnectWaitMs ?? 1000);
          this.wake = () => { clearTimeout(t); r(); };
        });
      }
    }
  }

  private attach(nc: NatsConnection, afterOutage: boolean): void {
    this.nc = nc;
    this.setConnected(true);
    const server = nc.getServer();
    this.log?.info({ nats: server }, 'NATS connected');
    for (const spec of this.natsSubs) if (spec.active) this.natsSubscribe(spec);
    this.emit({ type: 'connected', server });
    // Tails that were open before the first connection missed other hubs' records until now.
    if (afterOutage) this.emit({ type: 'reconnected', server, fromMs: this.openedAtMs, toMs: Date.now() });
    void this.watchStatus(nc);
    void nc.closed().then((err) => {
      if (this.closed || this.nc !== nc) return;
      // nats.js gave up (a fatal error): start over, forever.
      this.log?.warn({ error: err ? describeNatsError(err) : 'closed' }, 'NATS connection closed; reconnecting');
      this.nc = undefined;
      for (const spec of this.natsSubs) spec.sub = undefined;
      this.setConnected(false, err ? describeNatsError(err) : 'connection closed');
      this.emit({ type: 'disconnected', error: this.lastError, atMs: Date.now() });
      this.openedAtMs = Date.now();
      this.connecting = this.connectLoop();
    });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    try {
      await this.followStatus(nc);
    } catch (err) {
      this.log?.warn({ error: describeNatsError(err) }, 'NATS status stream failed');
    }
  }

  private async followStatus(nc: NatsConnection): Promise<void> {
    let downSinceMs = Date.now();
    for await (const s of nc.status()) {
      if (this.closed) return;
      if (s.type === Events.Disconnect) {
        downSinceMs = Date.now();
        this.setConnected(false, `disconnected from ${String(s.data)}`);
        this.log?.warn({ nats: s.data }, 'NATS disconnected; ingest and storage continue; reconnecting in the background');
        this.emit({ type: 'disconnected', error: this.lastError, atMs: downSinceMs });
      } else if (s.type === Events.Reconnect) {
        this.reconnects++;
        this.setConnected(true);
        this.log?.info({ nats: s.data, outage_ms: Date.now() - downSinceMs }, 'NATS reconnected');
        this.emit({ type: 'reconnected', server: String(s.data), fromMs: downSinceMs, toMs: Date.now() });
      } else if (s.type === Events.Error) {
        this.lastError = describeNatsError(s.data);
        this.log?.warn({ error: this.lastError }, 'NATS error');
      }
    }
  }

  private setConnected(up: boolean, error?: string): void {
    if (up !== this.connected) this.stateSinceMs = Date.now();
    this.connected = up;
    this.lastError = up ? undefined : error ?? this.lastError;
  }

  private emit(e: BusEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log?.warn({ err }, 'bus event listener failed');
      }
    }
  }

  private natsSubscribe(spec: NatsSubSpec): void {
    if (!this.nc || spec.sub) return;
    try {
      spec.sub = this.nc.subscribe(spec.pattern, { callback: (err, msg) => { if (!err && spec.active) this.guarded(spec, msg); } });
    } catch (err) {
      this.log?.warn({ subject: spec.pattern, error: describeNatsError(err) }, 'NATS subscribe failed');
    }
  }

  /** Runs a subscription's handler on one message; nothing it throws reaches nats.js. */
  private guarded(spec: NatsSubSpec, msg: Msg): void {
    try {
      spec.onMsg(msg);
    } catch (err) {
      this.guard.drops.message('handler_error', spec.pattern);
      this.log?.debug({ err, subject: spec.pattern }, 'a bus handler failed on a message from NATS');
    }
  }

  private addNatsSub(pattern: string, onMsg: (msg: Msg) => void): BusSubscription {
    const spec: NatsSubSpec = { pattern, onMsg, active: true };
    this.natsSubs.add(spec);
    this.natsSubscribe(spec);
    return {
      unsubscribe: () => {
        spec.active = false;
        this.natsSubs.delete(spec);
        try {
          spec.sub?.unsubscribe();
        } catch {
          // already closed with the connection
        }
      },
    };
  }

  // ---- records ---------------------------------------------------------------------------

  /** Other hubs may be listening on NATS at any time. */
  wantsRecords(): boolean {
    return !this.closed;
  }

  publishRecords(records: WireRecord[]): void {
    if (this.closed || records.length === 0) return;
    const maxBytes = this.maxPayloadBytes();
    for (const [subject, group] of groupBySubject(records, this.root)) {
      this.local.deliverRecords(subject, group, 0);
      const counter = this.counters.get(subject) ?? 0;
      this.counters.set(subject, counter + group.length);
      if (!this.connected || !this.nc) continue;
      const { payloads, skipped } = encodeEnvelopes(this.origin, counter, group, maxBytes);
      if (skipped > 0) this.log?.warn({ subject, skipped }, 'records too large for one NATS message were not fanned out (they are stored)');
      try {
        for (const p of payloads) this.nc.publish(subject, p, { headers: this.guard.headersFor(subject, '', p) });
      } catch (err) {
        this.log?.warn({ subject, error: describeNatsError(err) }, 'NATS publish failed');
      }
    }
  }

  subscribeRecords(pattern: string, handler: RecordsHandler): BusSubscription {
    const local = this.local.subscribeRecords(pattern, handler);
    const tracker = new LossTracker();
    const remote = this.addNatsSub(pattern, (msg) => {
      const got = this.guard.records(msg, pattern, tracker);
      if (got && (got.records.length > 0 || got.lost > 0)) handler(got.records, { subject: msg.subject, lost: got.lost });
    });
    return { unsubscribe: () => { local.unsubscribe(); remote.unsubscribe(); } };
  }

  // ---- raw messages and requests -------------------------------------------------------

  publish(subject: string, data: Uint8Array): void {
    if (this.closed) return;
    this.local.publish(subject, data);
    if (!this.connected || !this.nc) return;
    try {
      this.nc.publish(subject, data, { headers: this.guard.headersFor(subject, '', data) });
    } catch (err) {
      this.log?.warn({ subject, error: describeNatsError(err) }, 'NATS publish failed');
    }
  }

  subscribe(subject: string, handler: (data: Uint8Array, subject: string) => void): BusSubscription {
    const local = this.local.subscribe(subject, handler);
    const remote = this.addNatsSub(subject, (msg) => {
      if (this.guard.authentic(msg.subject, msg.reply ?? '', msg, subject)) handler(msg.data, msg.subject);
    });
    return { unsubscribe: () => { local.unsubscribe(); remote.unsubscribe(); } };
  }

  serve(subject: string, handler: RequestHandler): BusSubscription {
    const local = this.local.serve(subject, handler);
    const remote = this.addNatsSub(subject, (msg) => {
      if (!msg.reply) return this.guard.drops.message('no_reply_subject', subject);
      if (!this.guard.authentic(msg.subject, msg.reply, msg, subject)) return;
      void this.answer(msg, msg.reply, handler);
    });
    return { unsubscribe: () => { local.unsubscribe(); remote.unsubscribe(); } };
  }

  /** Answers one request; a failed handler is sent back as an error answer. Never rejects. */
  private async answer(msg: Msg, reply: string, handler: RequestHandler): Promise<void> {
    let payload: Uint8Array;
    let h: MsgHdrs | undefined;
    try {
      payload = await handler(msg.data);
    } catch (err) {
      payload = new TextEncoder().encode((err as Error)?.message ?? String(err));
      h = headers();
      h.set(ERROR_HEADER, '1');
    }
    try {
      msg.respond(payload, { headers: this.guard.headersFor(reply, '', payload, h) });
    } catch (err) {
      this.log?.warn({ subject: msg.subject, error: describeNatsError(err) }, 'could not answer a request on NATS');
    }
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<BusReply> {
    if (this.closed) return { ok: false, code: 'closed', message: 'the bus is closed' };
    const here = await this.local.request(subject, data, timeoutMs);
    if (here.ok || here.code !== 'no_responders') return here;
    if (!this.connected || !this.nc) return { ok: false, code: 'disconnected', message: `NATS is not connected (${this.lastError ?? 'connecting'})` };
    // Signed requests name their own inbox: the signature covers it, and the answer's covers it too.
    const inbox = this.guard.signing ? createInbox(this.inboxPrefix) : '';
    try {
      const opts = { timeout: timeoutMs, headers: this.guard.headersFor(subject, inbox, data), ...(inbox ? { noMux: true, reply: inbox } : {}) };
      const msg = await this.nc.request(subject, data, opts);
      if (this.guard.signing && !this.guard.authentic(msg.subject, '', msg, subject)) {
        return { ok: false, code: 'failed', message: `the answer on ${subject} was not signed with this hub's --cluster-secret` };
      }
      if (msg.headers?.get(ERROR_HEADER)) return { ok: false, code: 'failed', message: new TextDecoder().decode(msg.data).slice(0, 500) };
      return { ok: true, data: msg.data };
    } catch (err) {
      return replyError(err, subject, timeoutMs);
    }
  }

  async flush(): Promise<void> {
    if (!this.connected || !this.nc) return;
    try {
      await this.nc.flush();
    } catch {
      // disconnected meanwhile: the outage is reported through events
    }
  }

  maxPayloadBytes(): number {
    return this.nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  }

  status(): BusStatus {
    const s: BusStatus = { ok: this.connected && !this.closed, kind: 'nats', since: this.stateSinceMs, reconnects: this.reconnects };
    if (this.connected && this.nc) s.server = this.nc.getServer();
    else s.error = this.closed ? 'closed' : `NATS unreachable at ${this.shownServers}: ${this.lastError ?? 'connecting'}`;
    s.signed = this.guard.signing;
    return s;
  }

  onEvent(listener: (event: BusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once connected (tests and startup logs); never rejects. */
  async waitConnected(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected && !this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.connected;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.connecting;
    const nc = this.nc;
    this.nc = undefined;
    this.connected = false;
    this.listeners.clear();
    await this.local.close();
    if (nc) {
      try {
        await nc.close();
      } catch {
        // closing an already-closed connection
      }
    }
  }
}

export function openNatsBus(opts: NatsBusOptions): NatsBus {
  return new NatsBus(opts);
}
