/**
 * Routes bus deliveries to tailers. Each distinct subject pattern is subscribed on the bus once,
 * however many clients want it (so NATS sends each message to this hub once per pattern, not once
 * per client), and unsubscribed when its last client leaves.
 *
 * The patterns of one client come from `logSubjectsFor` and are disjoint (each dimension is
 * either `*` or a set of distinct tokens), so a client receives each record once. Bus outages and
 * detected losses become `gap` notices to the clients concerned.
 */
import type { Bus, BusSubscription } from '../bus/bus.js';
import type { Tailer } from './tailer.js';

interface Route {
  sub: BusSubscription;
  tailers: Set<Tailer>;
}

export class TailRouter {
  private readonly routes = new Map<string, Route>();
  private readonly all = new Set<Tailer>();
  private readonly offEvent: () => void;

  constructor(private readonly bus: Bus) {
    this.offEvent = bus.onEvent((e) => {
      if (e.type !== 'reconnected') return;
      for (const t of this.all) t.notifyGap({ type: 'gap', reason: 'bus_outage', from: e.fromMs, to: e.toMs });
    });
  }

  add(t: Tailer, patterns: readonly string[]): void {
    this.all.add(t);
    for (const p of patterns) {
      let route = this.routes.get(p);
      if (!route) {
        const tailers = new Set<Tailer>();
        const sub = this.bus.subscribeRecords(p, (records, info) => {
          for (const x of tailers) {
            if (info.lost > 0) x.notifyGap({ type: 'gap', reason: 'bus_lost', count: info.lost });
            x.offer(records);
          }
        });
        route = { sub, tailers };
        this.routes.set(p, route);
      }
      route.tailers.add(t);
    }
  }

  remove(t: Tailer, patterns: readonly string[]): void {
    this.all.delete(t);
    for (const p of patterns) {
      const route = this.routes.get(p);
      if (!route) continue;
      route.tailers.delete(t);
      if (route.tailers.size === 0) {
        route.sub.unsubscribe();
        this.routes.delete(p);
      }
    }
  }

  /** Distinct bus subscriptions (for tests and metrics). */
  subscriptionCount(): number {
    return this.routes.size;
  }

  close(): void {
    this.offEvent();
    for (const r of this.routes.values()) r.sub.unsubscribe();
    this.routes.clear();
    this.all.clear();
  }
}
