/**
 * The other side of the NATS attack tests: a plain nats.js client (no logwire code) that
 * publishes, requests and impersonates on the cluster's subjects, plus readers for the hub's
 * /metrics and the NATS server's view of the hub's subscriptions. Not a test file.
 */
import { connect, headers as natsHeaders, type ConnectionOptions, type NatsConnection } from 'nats';
import { encode } from '../../../hub/protocol/codec.js';

export type Attacker = NatsConnection;

export function connectAttacker(url: string, opts: Partial<ConnectionOptions> = {}): Promise<Attacker> {
  return connect({ servers: url, name: 'attacker', reconnect: false, ...opts });
}

/** A records message as a hub would publish it: `{o, n, r}`. */
export function envelope(records: unknown[], origin = 'evil-origin', n = 0): Uint8Array {
  return encode({ o: origin, n, r: records });
}

/** A record that passes every check (as a peer would send it). */
export function goodRecord(service: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  const id = `${now.toString(32).padStart(9, '0')}evil0${Math.floor(Math.random() * 2 ** 40).toString(32).padStart(10, '0')}`;
  return { id, ts: now, rts: now, service, severity: 'INFO', message, ...extra };
}

/** One Prometheus sample from the hub's /metrics (0 when absent). */
export async function metric(hubUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${hubUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** Subjects the NATS server says the named connection(s) subscribe to (needs `-m -1`). */
export async function subscribedSubjects(monitorUrl: string, namePrefix: string): Promise<string[]> {
  const res = await fetch(`${monitorUrl}/connz?subs=1`);
  const body = (await res.json()) as { connections: Array<{ name?: string; subscriptions_list?: string[] }> };
  const out = new Set<string>();
  for (const c of body.connections) if (c.name?.startsWith(namePrefix)) for (const s of c.subscriptions_list ?? []) out.add(s);
  return [...out];
}

/** A concrete subject that a subscription pattern matches. */
export function concrete(pattern: string): string {
  return pattern.split('.').map((t) => (t === '*' ? 'x' : t === '>' ? 'x.INFO' : t)).join('.');
}

/** A header set carrying `value` as the signature (forgeries). */
export function sigHeaders(value: string): ReturnType<typeof natsHeaders> {
  const h = natsHeaders();
  h.set('Logwire-Sig', value);
  return h;
}
