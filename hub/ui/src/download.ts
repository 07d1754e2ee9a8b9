/**
 * Download the whole match as NDJSON: GET /logs with `Accept: application/x-ndjson` streams
 * every match. The token travels in a header, so a plain link cannot do it: fetch, then hand
 * the browser a blob under a file name.
 */
import type { Api } from './api.js';

export async function downloadNdjson(api: Api, params: URLSearchParams, progress: (text: string) => void): Promise<void> {
  progress('Preparing the download…');
  const res = await api.get('/logs', params, 'application/x-ndjson');
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? `the hub answered ${res.status}`);
  }
  const reader = res.body!.getReader();
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    bytes += value.byteLength;
    progress(`Downloading… ${(bytes / 1024).toFixed(0)} KiB`);
  }
  const blob = new Blob(parts as BlobPart[], { type: 'application/x-ndjson' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `logwire-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.ndjson`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  progress(`Downloaded ${(bytes / 1024).toFixed(0)} KiB as ${a.download}`);
}
