/**
 * The web page's files (docs/web-ui.md), read into memory once when the hub starts: they are
 * built by `npm run build` (run by `npm ci`) into dist/ui/ and are small. Requests are answered
 * from this table only, so no request path ever reaches the file system (no traversal). Each file
 * carries a strong ETag; clients revalidate (`Cache-Control: no-cache`) and get 304 when unchanged.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

export interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
}

/** Every file under `root` with a known type, keyed by its relative path with `/` separators. */
export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const paths: string[] = [];
  try {
    walk(root, paths);
  } catch {
    return files; // not built: the routes answer 503 saying so
  }
  for (const full of paths) {
    const contentType = CONTENT_TYPES[extname(full).toLowerCase()];
    if (!contentType) continue;
    const body = readFileSync(full);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(relative(root, full).split(sep).join('/'), { body, contentType, etag });
  }
  return files;
}

/**
 * The table key for a request path below `/ui/`, or undefined for anything that is not a plain
 * relative path (dot segments, backslashes, NUL, bad escapes): those are 404s, never looked up.
 */
export function staticKey(pathBelowUi: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathBelowUi);
  } catch {
    return undefined;
  }
  if (decoded === '' || decoded.endsWith('/')) decoded += 'index.html';
  if (decoded.includes('\\') || decoded.includes('\0')) return undefined;
  const segs = decoded.split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return decoded;
}
