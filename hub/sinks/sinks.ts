/**
 * All configured sinks of a hub (docs/forwarding.md): one independent queue each, woken when the
 * hub stores records, listed in /stats and /metrics, stopped with the hub (after ingest, before
 * the store closes).
 */
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import type { SinkConfig } from './config.js';
import { createElasticsearchSink } from './elasticsearch.js';
import { createHttpSink } from './http-sink.js';
import { createLogwireSink } from './logwire.js';
import { createLokiSink } from './loki.js';
import { createSinkMetrics } from './metrics.js';
import { startSink, type SinkRunner, type SinkStatus } from './sink.js';
import type { SinkSender } from './types.js';

export interface Sinks {
  /** The hub stored records: wake every sink. */
  notify(): void;
  status(): SinkStatus[];
  close(): Promise<void>;
}

function createSender(cfg: SinkConfig, hubId: string): SinkSender {
  switch (cfg.type) {
    case 'http':
      return createHttpSink(cfg, hubId);
    case 'elasticsearch':
      return createElasticsearchSink(cfg);
    case 'loki':
      return createLokiSink(cfg);
    case 'logwire':
      return createLogwireSink(cfg, hubId, hostname());
  }
}

export function openSinks(configs: readonly SinkConfig[], deps: { store: Store; log: Logger; registry: Registry }): Sinks {
  const runners: SinkRunner[] = [];
  const status = () => runners.map((r) => r.status());
  const metrics = createSinkMetrics(deps.registry, status);
  for (const cfg of configs) {
    const log = deps.log.child({ mod: 'sink', sink: cfg.name });
    runners.push(startSink(cfg, deps.store, createSender(cfg, deps.store.hubId), log, metrics.eventsFor(cfg.name)));
    log.info({ type: cfg.type }, `forwarding to sink ${cfg.name} (${cfg.type})`);
  }
  return {
    notify() {
      for (const r of runners) r.notify();
    },
    status,
    async close() {
      await Promise.all(runners.map((r) => r.close()));
    },
  };
}
