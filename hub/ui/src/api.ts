/**
 * HTTP calls to the hub with the session's token in the Authorization header. A 401 means the
 * token stopped working: `onUnauthorized` signs the reader out. Other errors carry the hub's
 * own message (`{"error": …}`), which is written for people.
 */
import type { LogsPage, StatsAnswer, VolumeAnswer } from './types.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface Api {
  token: string;
  get(path: string, params?: URLSearchParams, accept?: string): Promise<Response>;
  logs(params: URLSearchParams): Promise<LogsPage>;
  /** null when this hub has no /logs/volume (an older hub): the page goes on without it. */
  volume(params: URLSearchParams): Promise<VolumeAnswer | null>;
  stats(): Promise<StatsAnswer>;
}

async function failure(res: Response): Promise<ApiError> {
  let message = `the hub answered ${res.status}`;
  try {
    const body = (await res.json()) as { error?: string };
    if (body.error) message = body.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, message);
}

export function createApi(token: string, onUnauthorized: () => void): Api {
  const get = async (path: string, params?: URLSearchParams, accept = 'application/json'): Promise<Response> => {
    const qs = params && [...params].length ? `?${params.toString()}` : '';
    const res = await fetch(path + qs, { headers: { authorization: `Bearer ${token}`, accept } });
    if (res.status === 401) onUnauthorized();
    return res;
  };
  const json = async <T>(path: string, params?: URLSearchParams): Promise<T> => {
    const res = await get(path, params);
    if (!res.ok) throw await failure(res);
    return (await res.json()) as T;
  };
  return {
    token,
    get,
    logs: (params) => json<LogsPage>('/logs', params),
    async volume(params) {
      const res = await get('/logs/volume', params);
      if (res.status === 404 || res.status === 405) return null;
      const body = (await res.json().catch(() => ({}))) as Partial<VolumeAnswer> & { error?: string; param?: string };
      // A hub from before /logs/volume reads the path as GET /logs/:service ("volume"): it
      // answers 200 without buckets, or 400 for the `service`/`step` it does not take there.
      if (res.status === 400 && (body.param === 'service' || body.param === 'step')) return null;
      if (!res.ok) throw new ApiError(res.status, body.error ?? `the hub answered ${res.status}`);
      return Array.isArray(body.buckets) && typeof body.step === 'string' ? (body as VolumeAnswer) : null;
    },
    stats: () => json<StatsAnswer>('/stats'),
  };
}
