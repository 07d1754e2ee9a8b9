/**
 * Request bodies for bench/e2e/receivers_to_store.ts (not part of the test suite): the same
 * seeded records encoded as each protocol's clients send them, so the benchmark measures the
 * hub's receivers rather than client libraries. Encoders are written from the wire formats in
 * docs/receivers.md.
 */
import { gzipSync } from 'node:zlib';
import { compressSync } from 'snappy';
import { encode } from '../../hub/protocol/codec.js';
import type { BenchRecord } from './workload.js';

/** A minimal protobuf writer (length-delimited fields are built inside out). */
class Pb {
  private parts: Buffer[] = [];
  private static varint(n: number | bigint): Buffer {
    const out: number[] = [];
    let v = BigInt(n);
    while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
    out.push(Number(v));
    return Buffer.from(out);
  }
  uint(field: number, n: number | bigint): this { this.parts.push(Pb.varint(field * 8), Pb.varint(n)); return this; }
  fixed64(field: number, n: bigint): this { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); this.parts.push(Pb.varint(field * 8 + 1), b); return this; }
  bytes(field: number, b: Buffer | string): this { const buf = typeof b === 'string' ? Buffer.from(b) : b; this.parts.push(Pb.varint(field * 8 + 2), Pb.varint(buf.length), buf); return this; }
  msg(field: number, w: Pb): this { return this.bytes(field, w.finish()); }
  finish(): Buffer { return Buffer.concat(this.parts); }
}

const quote = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

export function lokiProtobuf(batch: BenchRecord[]): Buffer {
  const req = new Pb();
  for (const recs of groupBy(batch, (r) => `${r.service}|${r.severity}|${r.host}`).values()) {
    const r0 = recs[0];
    const stream = new Pb().bytes(1, `{service=${quote(r0.service)}, level=${quote(r0.severity)}, host=${quote(r0.host)}}`);
    for (const r of recs) {
      const ts = new Pb().uint(1, Math.floor(r.ts / 1000)).uint(2, (r.ts % 1000) * 1_000_000);
      stream.msg(2, new Pb().msg(1, ts).bytes(2, r.message));
    }
    req.msg(1, stream);
  }
  return compressSync(req.finish());
}

export function lokiJson(batch: BenchRecord[]): Buffer {
  const streams = [...groupBy(batch, (r) => `${r.service}|${r.severity}|${r.host}`).values()].map((recs) => ({
    stream: { service: recs[0].service, level: recs[0].severity, host: recs[0].host },
    values: recs.map((r) => [`${r.ts}000000`, r.message]),
  }));
  return gzipSync(JSON.stringify({ streams }), { level: 1 });
}

export function otlpProtobuf(batch: BenchRecord[]): Buffer {
  const req = new Pb();
  const attr = (k: string, v: string) => new Pb().bytes(1, k).msg(2, new Pb().bytes(1, v));
  for (const recs of groupBy(batch, (r) => `${r.service}|${r.host}`).values()) {
    const resource = new Pb().msg(1, attr('service.name', recs[0].service)).msg(1, attr('host.name', recs[0].host));
    const scope = new Pb();
    for (const r of recs) {
      scope.msg(2, new Pb().fixed64(1, BigInt(r.ts) * 1_000_000n).bytes(3, r.severity).msg(5, new Pb().bytes(1, r.message)).msg(6, attr('log.file.path', r.file)));
    }
    req.msg(1, new Pb().msg(1, resource).msg(2, scope));
  }
  return req.finish();
}

export function esBulk(batch: BenchRecord[]): Buffer {
  let s = '';
  for (const r of batch) {
    s += '{"create":{"_index":"bench"}}\n';
    s += JSON.stringify({ '@timestamp': r.ts, service: r.service, level: r.severity, host: r.host, file: r.file, message: r.message, ...r.fields }) + '\n';
  }
  return Buffer.from(s);
}

/** A PackedForward message asking for an ack (chunk id = `chunk`). */
export function forwardPacked(batch: BenchRecord[], chunk: string): Buffer {
  const entries = Buffer.concat(batch.map((r) => encode([Math.floor(r.ts / 1000), { ts: r.ts, service: r.service, level: r.severity, host: r.host, file: r.file, message: r.message, ...r.fields }])));
  return encode(['bench', entries, { size: batch.length, chunk }]);
}

/** Octet-counted RFC 5424 messages. */
export function syslogOctets(batch: BenchRecord[]): Buffer {
  const sev: Record<string, number> = { TRACE: 7, DEBUG: 7, INFO: 6, WARN: 4, ERROR: 3, FATAL: 2 };
  return Buffer.from(batch.map((r) => {
    const msg = `<${8 + (sev[r.severity] ?? 6)}>1 ${new Date(r.ts).toISOString()} ${r.host} ${r.service} - - - ${r.message}`;
    return `${Buffer.byteLength(msg)} ${msg}`;
  }).join(''));
}
