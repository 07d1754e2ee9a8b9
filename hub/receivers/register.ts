/**
 * Registers every HTTP protocol receiver (docs/receivers.md), which must happen before the
 * query routes' catch-all, and starts the TCP/UDP ones the config turns on.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HubContext } from '../context.js';
import { HubError } from '../errors.js';
import { registerLokiRoutes } from './loki/route.js';
import { registerOtlpRoutes } from './otlp/route.js';
import { registerElasticsearchRoutes } from './elasticsearch/route.js';
import { startForwardReceiver } from './forward/server.js';
import { startSyslogTcp, startSyslogUdp } from './syslog/server.js';

export function registerReceivers(app: TemplatedApp, ctx: HubContext): void {
  registerLokiRoutes(app, ctx);
  registerOtlpRoutes(app, ctx);
  registerElasticsearchRoutes(app, ctx);
}

export interface SocketReceivers {
  /** Actual ports, by receiver name (for --port 0 style use and the startup lines). */
  ports: Record<string, number>;
  close(): Promise<void>;
}

export async function startSocketReceivers(ctx: HubContext): Promise<SocketReceivers> {
  const { config } = ctx;
  const running: Array<{ name: string; port: number; close(): Promise<void> }> = [];
  const closeAll = async () => {
    for (const r of running.reverse()) await r.close();
  };
  try {
    if (config.forwardPort !== undefined) {
      running.push({ name: 'forward', ...(await startForwardReceiver(ctx, { host: config.host, port: config.forwardPort, sharedKey: config.forwardSharedKey })) });
    }
    if (config.syslogTcpPort !== undefined) running.push({ name: 'syslog-tcp', ...(await startSyslogTcp(ctx, config.host, config.syslogTcpPort)) });
    if (config.syslogUdpPort !== undefined) running.push({ name: 'syslog-udp', ...(await startSyslogUdp(ctx, config.host, config.syslogUdpPort)) });
  } catch (err) {
    await closeAll();
    throw new HubError('HUB_ERR_CONFIG', `cannot start a receiver: ${(err as Error).message}; pick another port`);
  }
  return { ports: Object.fromEntries(running.map((r) => [r.name, r.port])), close: closeAll };
}
