/**
 * HubConfig: one typed config with named defaults. main.ts collects flags and LOGWIRE_* env
 * (yargs), `buildConfig` validates and deep-freezes. Modules receive only their slice.
 */
import { resolve } from 'node:path';
import { HubError } from './errors.js';
import { redactUrl } from './bus/redact.js';
import { buildNatsAuth, MIN_CLUSTER_SECRET_CHARS, type NatsAuthConfig, type NatsAuthInput } from './config-nats.js';
import { parseDurationMs } from './protocol/time.js';
import { DEFAULT_DATA_DIR, isLogLevel, LOG_LEVELS } from './protocol/programs.js';
import { loadSinksFile, SinkConfigError, type SinkConfig } from './sinks/config.js';

/** Default HTTP/WS port. */
export const DEFAULT_PORT = 7070;
/** Default listen address: loopback, so a fresh hub is not exposed by accident. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default data directory (also where CLIs look for admin.token). */
export { DEFAULT_DATA_DIR };
/** Messages longer than this (UTF-8 bytes) are stored truncated and flagged. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
/** Largest ingest frame accepted; bigger → error frame and close 1009. */
export const DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** Unacked batches a shipper connection may have outstanding. */
export const DEFAULT_MAX_INFLIGHT = 8;
/**
 * Ingest bytes being decoded and stored at once across all connections; further frames wait
 * undecoded. Two default batches: decoded records cost ~10-30× their MessagePack size.
 */
export const DEFAULT_MAX_INFLIGHT_BYTES = 16 * 1024 * 1024;
/**
 * Received ingest bytes waiting undecoded across all connections (frames past the inflight
 * budget, and POST bodies being read); a frame that would pass it closes its connection with
 * 1013 (try again later), a body is answered 503 with Retry-After. The hub's memory bound.
 */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Distinct streams (label tuples) one service may have; a record that would add one more is refused (`stream_limit`). */
export const DEFAULT_MAX_STREAMS_PER_SERVICE = 10_000;
/** Distinct streams in the whole store; past it, records that would add one are refused (`stream_limit`). */
export const DEFAULT_MAX_STREAMS = 250_000;
/** Largest HTTP request body; bigger → 413. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Idle live-tail clients get a heartbeat this often. */
export const DEFAULT_HEARTBEAT_MS = 5_000;
/** How often retention runs when --retention or --max-disk is set. */
export const DEFAULT_RETENTION_INTERVAL_MS = 60_000;

export interface HubConfig {
  port: number;
  host: string;
  dataDir: string;
  /** NATS servers (comma-separated URLs); undefined = in-process bus on one hub. May hold credentials: print only redacted. */
  natsUrl?: string;
  /** NATS credentials and TLS (docs/nats.md); each optional. Never printed. */
  natsAuth: Readonly<NatsAuthConfig>;
  /** Shared secret that signs everything hubs send each other over NATS; never printed. */
  clusterSecret?: string;
  tokensFile?: string;
  /** Delete records older than this (event time); undefined = keep forever. */
  retentionMs?: number;
  /** Delete oldest records while the store is bigger than this. */
  maxDiskBytes?: number;
  retentionIntervalMs: number;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: string;
  maxMessageBytes: number;
  maxBatchBytes: number;
  maxInflight: number;
  maxInflightBytes: number;
  maxQueuedBytes: number;
  maxStreams: number;
  maxStreamsPerService: number;
  maxBodyBytes: number;
  heartbeatMs: number;
  /** When false, /metrics requires a read token. */
  metricsPublic: boolean;
  /** Forwarding sinks from `--sinks sinks.json` (docs/forwarding.md); empty = none. */
  sinks: readonly SinkConfig[];
  /** Fluent Forward TCP port (0 = any free port); undefined = off. */
  forwardPort?: number;
  /** Shared key for the Forward HELO/PING/PONG handshake; undefined = no handshake. */
  forwardSharedKey?: string;
  /** syslog over TCP (TLS when tlsCert is set); undefined = off. */
  syslogTcpPort?: number;
  /** syslog over UDP; undefined = off. */
  syslogUdpPort?: number;
}

/** Flags as yargs gives them (camel-cased); the NATS credential flags come from NatsAuthInput. */
export interface HubConfigInput extends NatsAuthInput {
  port?: number;
  host?: string;
  data?: string;
  nats?: string;
  tokens?: string;
  retention?: string;
  maxDisk?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
  maxMessageBytes?: number;
  maxBatchBytes?: number;
  maxInflight?: number;
  maxInflightBytes?: number;
  maxQueuedBytes?: number;
  maxStreams?: number;
  maxStreamsPerService?: number;
  maxBodyBytes?: number;
  heartbeatMs?: number;
  metricsPublic?: boolean;
  retentionIntervalMs?: number;
  clusterSecret?: string;
  /** Path of the sinks file. */
  sinks?: string;
  forward?: number;
  forwardSharedKey?: string;
  syslogTcp?: number;
  syslogUdp?: number;
}

export type { NatsAuthConfig };

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib|tb|tib)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4 };

/** Parses `10GB`, `512MiB`, `1000000` into bytes. */
export function parseSize(input: string): number | undefined {
  const m = SIZE.exec(input.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]);
}

function fail(flag: string, message: string): never {
  throw new HubError('HUB_ERR_CONFIG', `--${flag}: ${message}`);
}

function positiveInt(flag: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v <= 0) fail(flag, `must be a positive whole number, got ${v}`);
  return v;
}

function listenPort(flag: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 65535) fail(flag, `must be a port 0..65535, got ${v}`);
  return v;
}

export function buildConfig(input: HubConfigInput): Readonly<HubConfig> {
  const port = input.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('port', `must be 0..65535, got ${input.port}`);
  const cfg: HubConfig = {
    natsAuth: {},
    port,
    host: input.host ?? DEFAULT_HOST,
    dataDir: resolve(input.data ?? DEFAULT_DATA_DIR),
    retentionIntervalMs: positiveInt('retention-interval-ms', input.retentionIntervalMs, DEFAULT_RETENTION_INTERVAL_MS),
    logLevel: input.logLevel ?? 'info',
    maxMessageBytes: positiveInt('max-message-bytes', input.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
    maxBatchBytes: positiveInt('max-batch-bytes', input.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES),
    maxInflight: positiveInt('max-inflight', input.maxInflight, DEFAULT_MAX_INFLIGHT),
    maxInflightBytes: positiveInt('max-inflight-bytes', input.maxInflightBytes, DEFAULT_MAX_INFLIGHT_BYTES),
    maxQueuedBytes: positiveInt('max-queued-bytes', input.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES),
    maxStreams: positiveInt('max-streams', input.maxStreams, DEFAULT_MAX_STREAMS),
    maxStreamsPerService: positiveInt('max-streams-per-service', input.maxStreamsPerService, DEFAULT_MAX_STREAMS_PER_SERVICE),
    maxBodyBytes: positiveInt('max-body-bytes', input.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    heartbeatMs: positiveInt('heartbeat-ms', input.heartbeatMs, DEFAULT_HEARTBEAT_MS),
    metricsPublic: input.metricsPublic ?? true,
    sinks: [],
  };
  if (!isLogLevel(cfg.logLevel)) {
    fail('log-level', `must be one of ${LOG_LEVELS.join(', ')}; got "${cfg.logLevel}"`);
  }
  if (input.nats) {
    for (const url of input.nats.split(',')) {
      if (!/^(nats|tls|ws|wss):\/\/[^\s]+$/.test(url.trim()) && !/^[\w.-]+:\d+$/.test(url.trim())) {
        fail('nats', `"${redactUrl(url)}" is not a NATS URL such as nats://127.0.0.1:4222`);
      }
    }
    cfg.natsUrl = input.nats;
  }
  cfg.natsAuth = Object.freeze(buildNatsAuth(input));
  if (input.clusterSecret !== undefined && input.clusterSecret !== '') {
    if (!cfg.natsUrl) fail('cluster-secret', 'signs messages between hubs over NATS; it needs --nats');
    if (input.clusterSecret.length < MIN_CLUSTER_SECRET_CHARS) fail('cluster-secret', `must be at least ${MIN_CLUSTER_SECRET_CHARS} characters (e.g. openssl rand -hex 32)`);
    cfg.clusterSecret = input.clusterSecret;
  }
  if (input.tokens) cfg.tokensFile = resolve(input.tokens);
  if (input.retention) {
    const ms = parseDurationMs(input.retention);
    if (ms === undefined || ms <= 0) fail('retention', `"${input.retention}" is not a duration such as 7d, 12h, 30m`);
    cfg.retentionMs = ms;
  }
  if (input.maxDisk) {
    const bytes = parseSize(input.maxDisk);
    if (bytes === undefined || bytes <= 0) fail('max-disk', `"${input.maxDisk}" is not a size such as 10GB or 512MiB`);
    cfg.maxDiskBytes = bytes;
  }
  if (Boolean(input.tlsCert) !== Boolean(input.tlsKey)) fail(input.tlsCert ? 'tls-key' : 'tls-cert', 'TLS needs both --tls-cert and --tls-key');
  if (input.tlsCert) cfg.tlsCert = resolve(input.tlsCert);
  if (input.tlsKey) cfg.tlsKey = resolve(input.tlsKey);
  if (input.sinks) {
    try {
      cfg.sinks = loadSinksFile(resolve(input.sinks));
    } catch (err) {
      if (err instanceof SinkConfigError) fail('sinks', err.message);
      throw err;
    }
  }
  if (input.forward !== undefined) cfg.forwardPort = listenPort('forward', input.forward);
  if (input.forwardSharedKey) {
    if (cfg.forwardPort === undefined) fail('forward-shared-key', 'needs --forward PORT');
    cfg.forwardSharedKey = input.forwardSharedKey;
  }
  if (input.syslogTcp !== undefined) cfg.syslogTcpPort = listenPort('syslog-tcp', input.syslogTcp);
  if (input.syslogUdp !== undefined) cfg.syslogUdpPort = listenPort('syslog-udp', input.syslogUdp);
  return Object.freeze(cfg);
}
