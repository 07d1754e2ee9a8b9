/**
 * How the hub authenticates to NATS and secures the connection (docs/nats.md "Connecting"):
 * `--nats-creds FILE` (JWT + nkey seed, re-read at every connect so a rotated file is picked
 * up), `--nats-user`/`--nats-password`, `--nats-token`, and TLS with `--nats-tls-ca` (server
 * verification) and `--nats-tls-cert`/`--nats-tls-key` (client certificate).
 *
 * Credentials written into a URL (`nats://user:pass@host`, `nats://token@host`) are taken out of
 * it: nats.js itself ignores them, and a URL is something the hub prints (redacted, redact.ts).
 * A flag wins over credentials in a URL.
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions } from 'nats';
import { splitUserInfo } from './redact.js';

/** The credential and TLS slice of the hub config (each optional). */
export interface NatsAuthOptions {
  /** A NATS `.creds` file (user JWT and nkey seed). */
  credsFile?: string;
  user?: string;
  password?: string;
  token?: string;
  /** CA certificate (PEM) that the server's certificate must chain to; turns TLS on. */
  tlsCaFile?: string;
  /** Client certificate and key (PEM) for servers that verify clients; turn TLS on. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

interface UrlCredentials {
  user?: string;
  password?: string;
  token?: string;
}

/** Percent-decodes user-info; a malformed escape is taken literally rather than thrown. */
function unescapeUserInfo(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Splits `servers` into bare URLs for nats.js and the credentials found in them (first wins). */
export function splitServerCredentials(servers: string): { servers: string[]; found: UrlCredentials } {
  const found: UrlCredentials = {};
  const bare = servers.split(',').filter((s) => s.trim() !== '').map((url) => {
    const { bare: clean, userinfo } = splitUserInfo(url);
    if (userinfo && found.user === undefined && found.token === undefined) {
      const colon = userinfo.indexOf(':');
      if (colon >= 0) {
        found.user = unescapeUserInfo(userinfo.slice(0, colon));
        found.password = unescapeUserInfo(userinfo.slice(colon + 1));
      } else {
        found.token = unescapeUserInfo(userinfo);
      }
    }
    return clean;
  });
  return { servers: bare, found };
}

/** nats.js connection options for these servers and credentials. */
export function natsConnectionOptions(servers: string, auth: NatsAuthOptions = {}): Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'token' | 'authenticator' | 'tls'> {
  const { servers: bare, found } = splitServerCredentials(servers);
  const out: ReturnType<typeof natsConnectionOptions> = { servers: bare };
  const flagged = auth.credsFile !== undefined || auth.user !== undefined || auth.token !== undefined;
  if (auth.credsFile) {
    const file = auth.credsFile;
    out.authenticator = credsAuthenticator(() => readFileSync(file));
  } else if (auth.user !== undefined) {
    out.user = auth.user;
    out.pass = auth.password ?? '';
  } else if (auth.token !== undefined) {
    out.token = auth.token;
  } else if (!flagged && found.user !== undefined) {
    out.user = found.user;
    out.pass = found.password ?? '';
  } else if (!flagged && found.token !== undefined) {
    out.token = found.token;
  }
  if (auth.tlsCaFile || auth.tlsCertFile || auth.tlsKeyFile) {
    out.tls = {};
    if (auth.tlsCaFile) out.tls.caFile = auth.tlsCaFile;
    if (auth.tlsCertFile) out.tls.certFile = auth.tlsCertFile;
    if (auth.tlsKeyFile) out.tls.keyFile = auth.tlsKeyFile;
  }
  return out;
}
