/**
 * Per-sink Prometheus series, registered on the hub's registry: counters move as batches are
 * delivered; lag gauges are computed when scraped.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SinkEvents, SinkStatus } from './sink.js';

export interface SinkMetrics {
  eventsFor(sink: string): SinkEvents;
}

export function createSinkMetrics(registry: Registry, statuses: () => SinkStatus[]): SinkMetrics {
  const r = [registry];
  const sent = new Counter({ name: 'logwire_sink_sent_records_total', help: 'Records a sink delivered (accepted by its receiver).', labelNames: ['sink'], registers: r });
  const retries = new Counter({ name: 'logwire_sink_retries_total', help: 'Delivery attempts a sink retried (receiver down, 429, 5xx, timeouts).', labelNames: ['sink'], registers: r });
  const skipped = new Counter({ name: 'logwire_sink_skipped_records_total', help: 'Records a sink skipped, by reason (refused for good by the receiver, deleted by retention before sent).', labelNames: ['sink', 'reason'], registers: r });
  new Gauge({
    name: 'logwire_sink_lag_records', help: 'Records stored after the sink cursor (not yet dealt with).', labelNames: ['sink'], registers: r,
    collect() {
      for (const s of statuses()) this.set({ sink: s.name }, s.lag_records);
    },
  });
  new Gauge({
    name: 'logwire_sink_lag_seconds', help: 'Age of the oldest stored record the sink has not delivered yet (0 when caught up).', labelNames: ['sink'], registers: r,
    collect() {
      for (const s of statuses()) this.set({ sink: s.name }, s.lag_seconds);
    },
  });
  new Gauge({
    name: 'logwire_sink_last_error_timestamp_seconds', help: 'When the sink last saw a delivery error (0 = never); the message is in /stats.', labelNames: ['sink'], registers: r,
    collect() {
      for (const s of statuses()) this.set({ sink: s.name }, s.last_error ? Date.parse(s.last_error.at) / 1000 : 0);
    },
  });
  return {
    eventsFor(sink) {
      sent.inc({ sink }, 0);
      retries.inc({ sink }, 0);
      return {
        sent: (n) => sent.inc({ sink }, n),
        retried: () => retries.inc({ sink }),
        skipped: (reason, n) => skipped.inc({ sink, reason }, n),
      };
    },
  };
}
