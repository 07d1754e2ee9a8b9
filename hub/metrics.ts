/**
 * Prometheus metrics (prom-client), one registry per hub so tests can run several hubs in one
 * process. Names follow `<area>_<noun>_<unit>_total` (Vector instrumentation spec).
 */
import { Counter, Gauge, Registry } from 'prom-client';

export interface HubMetrics {
  registry: Registry;
  ingestRecords: Counter<'path'>;
  ingestBatches: Counter<'path'>;
  ingestBytes: Counter<'path'>;
  ingestRejected: Counter<'reason'>;
  ingestDuplicateBatches: Counter;
  ingestConnections: Gauge;
  protocolErrors: Counter<'code'>;
  storeBytes: Gauge;
  storeRecords: Gauge;
  tailClients: Gauge;
  tailRecordsSent: Counter;
  tailRecordsDropped: Counter;
  busPublished: Counter;
  busConnected: Gauge;
  busDroppedMessages: Counter<'reason'>;
  busDroppedRecords: Counter<'reason'>;
  clusterAnswersCut: Counter<'reason'>;
  httpRequests: Counter<'route' | 'status'>;
  /** Other protocols' receivers (hub/receivers/): records received, stored, rejected by reason. */
  receiverReceived: Counter<'protocol'>;
  receiverStored: Counter<'protocol'>;
  receiverRejected: Counter<'protocol' | 'reason'>;
}

export function createMetrics(): HubMetrics {
  const registry = new Registry();
  const r = [registry];
  return {
    registry,
    ingestRecords: new Counter({ name: 'logwire_ingest_records_total', help: 'Records stored, by ingest path (ws, http).', labelNames: ['path'], registers: r }),
    ingestBatches: new Counter({ name: 'logwire_ingest_batches_total', help: 'Batches / requests stored, by ingest path.', labelNames: ['path'], registers: r }),
    ingestBytes: new Counter({ name: 'logwire_ingest_received_bytes_total', help: 'Bytes of ingest frames and bodies received.', labelNames: ['path'], registers: r }),
    ingestRejected: new Counter({ name: 'logwire_ingest_rejected_records_total', help: 'Records rejected by validation, by reason.', labelNames: ['reason'], registers: r }),
    ingestDuplicateBatches: new Counter({ name: 'logwire_ingest_duplicate_batches_total', help: 'Batches re-sent after being stored: acked again, not stored again.', registers: r }),
    ingestConnections: new Gauge({ name: 'logwire_ingest_connections', help: 'Open shipper WebSocket connections.', registers: r }),
    protocolErrors: new Counter({ name: 'logwire_ingest_protocol_errors_total', help: 'Ingest connections closed for protocol errors, by code.', labelNames: ['code'], registers: r }),
    storeBytes: new Gauge({ name: 'logwire_store_size_bytes', help: 'Bytes the store uses on disk.', registers: r }),
    storeRecords: new Gauge({ name: 'logwire_store_records', help: 'Records in the store.', registers: r }),
    tailClients: new Gauge({ name: 'logwire_tail_clients', help: 'Connected live-tail clients.', registers: r }),
    tailRecordsSent: new Counter({ name: 'logwire_tail_sent_records_total', help: 'Records sent to live-tail clients.', registers: r }),
    tailRecordsDropped: new Counter({ name: 'logwire_tail_dropped_records_total', help: 'Records dropped for slow live-tail clients.', registers: r }),
    busPublished: new Counter({ name: 'logwire_bus_published_records_total', help: 'Records published on the bus.', registers: r }),
    busConnected: new Gauge({ name: 'logwire_bus_connected', help: '1 while the bus (NATS) is connected.', registers: r }),
    busDroppedMessages: new Counter({ name: 'logwire_bus_dropped_messages_total', help: 'NATS messages ignored (unsigned, bad_signature, stale, replayed, malformed, ...), by reason.', labelNames: ['reason'], registers: r }),
    busDroppedRecords: new Counter({ name: 'logwire_bus_dropped_records_total', help: 'Records from NATS (fan-out or history answers) that failed validation, by reason.', labelNames: ['reason'], registers: r }),
    clusterAnswersCut: new Counter({ name: 'logwire_cluster_cut_answers_total', help: "Peers' parts of history answers cut at a byte budget, by budget.", labelNames: ['reason'], registers: r }),
    httpRequests: new Counter({ name: 'logwire_http_requests_total', help: 'HTTP requests by route and status.', labelNames: ['route', 'status'], registers: r }),
    receiverReceived: new Counter({ name: 'logwire_receiver_received_records_total', help: 'Records received by a protocol receiver (loki, otlp, elasticsearch, forward, syslog); requests refused whole count 1 each under rejected.', labelNames: ['protocol'], registers: r }),
    receiverStored: new Counter({ name: 'logwire_receiver_stored_records_total', help: 'Records a protocol receiver stored durably.', labelNames: ['protocol'], registers: r }),
    receiverRejected: new Counter({ name: 'logwire_receiver_rejected_records_total', help: 'Records (or whole requests, reason bad_request/too_large/unauthorized...) a protocol receiver refused, by reason.', labelNames: ['protocol', 'reason'], registers: r }),
  };
}
