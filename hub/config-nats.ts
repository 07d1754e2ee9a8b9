/**
 * The NATS slice of the hub config (docs/nats.md): credential and TLS flags, checked at startup
 * so a typo is one line and exit 1, not a hub that silently cannot join its cluster. Secrets
 * are kept as given and never appear in an error message.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { HubError } from './errors.js';
import type { NatsAuthOptions } from './bus/nats-auth.js';

/** `--nats-creds`, `--nats-user`/`--nats-password`, `--nats-token`, `--nats-tls-*` (paths resolved): what the bus connects with. */
export type NatsAuthConfig = NatsAuthOptions;

/** A cluster secret shorter than this is refused: it is the only thing between NATS and the hubs. */
export const MIN_CLUSTER_SECRET_CHARS = 16;

/** The flags (camel-cased, as yargs gives them) this slice is built from. */
export interface NatsAuthInput {
  nats?: string;
  natsCreds?: string;
  natsUser?: string;
  natsPassword?: string;
  natsToken?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
}

function fail(flag: string, message: string): never {
  throw new HubError('HUB_ERR_CONFIG', `--${flag}: ${message}`);
}

function readableFile(flag: string, path: string): string {
  const full = resolve(path);
  try {
    accessSync(full, constants.R_OK);
  } catch (err) {
    fail(flag, `cannot read ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return full;
}

export function buildNatsAuth(input: NatsAuthInput): NatsAuthConfig {
  const given = (['natsCreds', 'natsUser', 'natsPassword', 'natsToken', 'natsTlsCa', 'natsTlsCert', 'natsTlsKey'] as const).filter((k) => input[k] !== undefined && input[k] !== '');
  if (given.length === 0) return {};
  const flagOf = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  if (!input.nats) fail(flagOf(given[0]), 'is a NATS connection setting; it needs --nats');
  const methods = [input.natsCreds && 'nats-creds', input.natsUser && 'nats-user', input.natsToken && 'nats-token'].filter(Boolean);
  if (methods.length > 1) fail(String(methods[1]), `choose one way to authenticate to NATS; --${methods.join(' and --')} were both given`);
  if (input.natsUser && !input.natsPassword) fail('nats-password', 'is needed with --nats-user (or LOGWIRE_NATS_PASSWORD)');
  if (input.natsPassword && !input.natsUser) fail('nats-user', 'is needed with --nats-password');
  if (Boolean(input.natsTlsCert) !== Boolean(input.natsTlsKey)) fail(input.natsTlsCert ? 'nats-tls-key' : 'nats-tls-cert', 'a NATS client certificate needs both --nats-tls-cert and --nats-tls-key');
  const auth: NatsAuthConfig = {};
  if (input.natsCreds) auth.credsFile = readableFile('nats-creds', input.natsCreds);
  if (input.natsUser) {
    auth.user = input.natsUser;
    auth.password = input.natsPassword;
  }
  if (input.natsToken) auth.token = input.natsToken;
  if (input.natsTlsCa) auth.tlsCaFile = readableFile('nats-tls-ca', input.natsTlsCa);
  if (input.natsTlsCert) auth.tlsCertFile = readableFile('nats-tls-cert', input.natsTlsCert);
  if (input.natsTlsKey) auth.tlsKeyFile = readableFile('nats-tls-key', input.natsTlsKey);
  return auth;
}
