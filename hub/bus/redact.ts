/**
 * Credentials never leave the hub in what it prints (docs/nats.md): a NATS URL may carry
 * `user:password@` or `token@`, and every place that shows a URL (logs, /health, error messages)
 * shows it as `nats://***@host:port` instead. No imports: config.ts uses it too.
 */

const USERINFO = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)([^/\s]*)@/i;

/** A URL without its user-info part, and that part (undefined when there is none). */
export function splitUserInfo(url: string): { bare: string; userinfo?: string } {
  const u = url.trim();
  const m = USERINFO.exec(u);
  return m ? { bare: m[1] + u.slice(m[0].length), userinfo: m[2] } : { bare: u };
}

/** One URL with its user-info part (if any) replaced by `***`. */
export function redactUrl(url: string): string {
  return url.trim().replace(USERINFO, '$1***@');
}

/** A comma-separated list of URLs, each redacted. */
export function redactUrls(urls: string): string {
  return urls.split(',').map(redactUrl).join(',');
}
