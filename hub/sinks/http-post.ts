/**
 * One HTTP(S) POST for the HTTP-based sinks (loki, elasticsearch, http), on node:http so a sink can
 * carry its own CA and `reject_unauthorized` without touching the process's global agent.
 * Transport faults (refused, reset, timeout) resolve as `{status: 0, error}`, never throw: the
 * sink decides what to retry. Keep-alive agents are per sink, so one slow receiver's sockets never
 * hold up another's.
 */
import http from 'node:http';
import https from 'node:https';
import type { SinkConfig } from './config.js';

export interface PostResult {
  /** HTTP status, or 0 when no answer arrived (connection error, timeout). */
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  error?: string;
}

export interface HttpPoster {
  post(body: Buffer | string, headers: Record<string, string>): Promise<PostResult>;
  close(): void;
}

/** Largest answer body kept (errors are read for their message; bulk answers can be large). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** Authorization and configured headers for a sink. */
export function sinkHeaders(cfg: SinkConfig): Record<string, string> {
  const h: Record<string, string> = { ...cfg.headers };
  if (cfg.token) h.authorization = `Bearer ${cfg.token}`;
  else if (cfg.basicAuth) h.authorization = `Basic ${Buffer.from(`${cfg.basicAuth.username}:${cfg.basicAuth.password}`).toString('base64')}`;
  return h;
}

export function createPoster(cfg: SinkConfig): HttpPoster {
  const url = new URL(cfg.url);
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 2, ca: cfg.tls.ca, rejectUnauthorized: cfg.tls.rejectUnauthorized })
    : new http.Agent({ keepAlive: true, maxSockets: 2 });
  const base = sinkHeaders(cfg);
  const lib = secure ? https : http;
  return {
    post(body, headers) {
      return new Promise<PostResult>((resolve) => {
        let done = false;
        const finish = (r: PostResult) => {
          if (done) return;
          done = true;
          resolve(r);
        };
        const req = lib.request(url, { method: 'POST', agent, headers: { ...base, ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: cfg.timeoutMs }, (res) => {
          const parts: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.length;
            if (size <= MAX_ANSWER_BYTES) parts.push(d);
          });
          res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
          res.on('error', (err) => finish({ status: 0, headers: {}, body: '', error: `the answer broke off (${describe(err)})` }));
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${cfg.timeoutMs} ms`)));
        req.on('error', (err) => finish({ status: 0, headers: {}, body: '', error: describe(err) }));
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

export function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code && e.message) return `${e.code}: ${e.message}`;
  return e?.message ?? String(err);
}

/** A short, single-line excerpt of an answer body for error messages. */
export function excerpt(body: string, max = 300): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
