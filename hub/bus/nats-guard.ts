/**
 * The NATS bus's trust boundary (docs/nats.md): what this hub adds to what it sends (the
 * `--cluster-secret` signature) and what it checks in what it receives (signature, envelope
 * shape, replays, every record). Each refusal is counted and logged through the drop reporter.
 * Knows nothing of connections; nats-bus.ts calls it on every message in and out.
 */
import { headers, type Msg, type MsgHdrs } from 'nats';
import type { Logger } from '../log.js';
import type { WireRecord } from '../protocol/frames.js';
import { DEFAULT_LIMITS, type ValidationLimits } from '../protocol/record.js';
import { createDropReporter, type BusDropCounters, type DropReporter } from './drops.js';
import { decodeEnvelope, type LossTracker } from './envelope.js';
import { checkPeerRecords, PeerRejectReason, recordFitsSubject } from './peer-input.js';
import { createSigner, SIGNATURE_HEADER, type Signer } from './signing.js';

export interface NatsGuardOptions {
  clusterSecret?: string;
  recordLimits?: ValidationLimits;
  drops?: BusDropCounters;
  log?: Logger;
}

export class NatsGuard {
  readonly drops: DropReporter;
  private readonly signer?: Signer;
  private readonly limits: ValidationLimits;

  constructor(opts: NatsGuardOptions) {
    this.signer = opts.clusterSecret ? createSigner(opts.clusterSecret) : undefined;
    this.drops = createDropReporter(opts.log, opts.drops);
    this.limits = opts.recordLimits ?? DEFAULT_LIMITS;
  }

  /** True when a cluster secret is set. */
  get signing(): boolean {
    return this.signer !== undefined;
  }

  /** Headers for a message we send on `subject` (`reply`: a request's inbox); `h` is extended. */
  headersFor(subject: string, reply: string, data: Uint8Array, h?: MsgHdrs): MsgHdrs | undefined {
    if (!this.signer) return h;
    const out = h ?? headers();
    out.set(SIGNATURE_HEADER, this.signer.sign(subject, reply, data));
    return out;
  }

  /** True when a received message may be used: signed with our secret, or no secret is set. */
  authentic(subject: string, reply: string, msg: Msg, pattern: string): boolean {
    if (!this.signer) return true;
    const outcome = this.signer.verify(subject, reply, msg.data, msg.headers?.get(SIGNATURE_HEADER));
    if (outcome === 'ok') return true;
    this.drops.message(outcome, pattern);
    return false;
  }

  /**
   * The valid records of one records message, and how many records the publisher sent on this
   * subject that this subscription missed; undefined when the whole message is refused.
   */
  records(msg: Msg, pattern: string, tracker: LossTracker): { records: WireRecord[]; lost: number } | undefined {
    const subject = msg.subject;
    if (!this.authentic(subject, msg.reply ?? '', msg, pattern)) return undefined;
    const env = decodeEnvelope(msg.data);
    if (!env) {
      this.drops.message('malformed', subject);
      return undefined;
    }
    const lost = tracker.observe(subject, env);
    if (lost === 'replayed') {
      this.drops.message('replayed', subject);
      return undefined;
    }
    const drop = (reason: string): void => this.drops.record(reason, subject);
    const records = checkPeerRecords(env.r, this.limits, drop, (r) => (recordFitsSubject(r, subject) ? undefined : PeerRejectReason.subjectMismatch));
    return { records, lost };
  }
}
