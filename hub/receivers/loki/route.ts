/**
 * `POST /loki/api/v1/push` (docs/receivers.md "Loki"): Promtail, Grafana Alloy, Fluent Bit's
 * loki output, winston-loki, pino-loki send here unchanged. 204 once every entry is durable;
 * a partly bad push stores the good entries and answers 400 with how many were refused (as Loki
 * does, so the client does not retry the good ones forever). Errors are plain text, as Loki's.
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { HubContext } from '../../context.js';
import type { HubError } from '../../errors.js';
import type { IncomingRecord } from '../../protocol/frames.js';
import { registerReceiverRoute, type ReceiverResponse } from '../http-route.js';
import { LOKI_SERVICE_KEYS, mapRecord } from '../mapping.js';
import { receive } from '../receive.js';
import { decodeLokiJson, decodeLokiProtobuf, type LokiStream } from './decode.js';

/** Entries of one stream onto records. Labels are mapped once per stream when no entry has metadata. */
export function lokiRecords(streams: LokiStream[]): IncomingRecord[] {
  const out: IncomingRecord[] = [];
  for (const s of streams) {
    let base: IncomingRecord | undefined;
    for (const e of s.entries) {
      if (e.metadata) {
        out.push(mapRecord({ doc: { ...e.metadata, ...s.labels }, serviceKeys: LOKI_SERVICE_KEYS, message: e.line, ts: e.ts, timeFromDoc: false }));
        continue;
      }
      base ??= mapRecord({ doc: { ...s.labels }, serviceKeys: LOKI_SERVICE_KEYS, message: '', timeFromDoc: false });
      out.push({ ...base, message: e.line, ts: e.ts });
    }
  }
  return out;
}

function text(status: number, body: string): ReceiverResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body: body + '\n' };
}

function summarise(rejected: Array<{ reason: string }>): string {
  const counts = new Map<string, number>();
  for (const r of rejected) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${reason}: ${n}`).join(', ');
}

export function registerLokiRoutes(app: TemplatedApp, ctx: HubContext): void {
  registerReceiverRoute(app, ctx, {
    method: 'post',
    pattern: '/loki/api/v1/push',
    protocol: 'loki',
    async handle({ info, body, principal }) {
      const type = info.contentType.split(';')[0].trim();
      const streams = type === 'application/x-protobuf' || type === 'application/protobuf'
        ? await decodeLokiProtobuf(body, ctx.config.maxBodyBytes)
        : decodeLokiJson(body);
      const records = lokiRecords(streams);
      if (records.length === 0) return { status: 204 };
      const outcome = await receive(ctx, 'loki', principal!, records);
      if (outcome.rejected.length === 0) return { status: 204 };
      return text(400, `${outcome.rejected.length} of ${records.length} entries refused (${summarise(outcome.rejected)}); the other ${outcome.stored} were stored`);
    },
    error: (err: HubError) => text(err.status || 500, err.message),
  });
}
