/**
 * A programmable HTTP receiver for the sink tests: every request is recorded (headers, raw body)
 * and answered by the test's handler, which can return any status, headers and body, reset the
 * connection, or never answer (a stall). Decoders for the real wire formats live beside it.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import snappy from 'snappy';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'reset' | 'stall';

export interface FakeReceiver {
  url: string;
  requests: Received[];
  handler: (req: Received, n: number) => Answer;
  close(): Promise<void>;
}

export async function startFakeReceiver(handler: FakeReceiver['handler'] = () => ({ status: 200 })): Promise<FakeReceiver> {
  const sockets = new Set<Socket>();
  const fake: FakeReceiver = { url: '', requests: [], handler, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(parts), at: Date.now() };
      fake.requests.push(r);
      const a = fake.handler(r, fake.requests.length);
      if (a === 'reset') return req.socket.destroy();
      if (a === 'stall') return;
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  });
  return fake;
}

/** NDJSON body → objects. */
export function ndjsonLines(body: Buffer): Array<Record<string, unknown>> {
  return body.toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** An Elasticsearch bulk body → its (action, document) pairs. */
export function bulkPairs(body: Buffer): Array<{ action: { _index: string; _id: string }; doc: Record<string, unknown> }> {
  const lines = ndjsonLines(body);
  const out = [];
  for (let i = 0; i < lines.length; i += 2) out.push({ action: (lines[i] as { create: { _index: string; _id: string } }).create, doc: lines[i + 1] });
  return out;
}

// --- protobuf, written from the wire-format spec independently of the code under test ---

interface Field { no: number; wire: number; value: number | Buffer }

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 2) {
      const len = varint();
      out.push({ no, wire, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

export interface LokiEntry { labels: string; tsNs: bigint; line: string; metadata: Record<string, string> }

/** A snappy-compressed protobuf Loki PushRequest → its entries. */
export function decodeLokiPush(body: Buffer): LokiEntry[] {
  const raw = snappy.uncompressSync(body) as Buffer;
  const out: LokiEntry[] = [];
  for (const s of fields(raw).filter((f) => f.no === 1)) {
    const sf = fields(s.value as Buffer);
    const labels = (sf.find((f) => f.no === 1)?.value as Buffer).toString('utf8');
    for (const e of sf.filter((f) => f.no === 2)) {
      const ef = fields(e.value as Buffer);
      const ts = fields(ef.find((f) => f.no === 1)!.value as Buffer);
      const sec = BigInt((ts.find((f) => f.no === 1)?.value as number) ?? 0);
      const ns = BigInt((ts.find((f) => f.no === 2)?.value as number) ?? 0);
      const metadata: Record<string, string> = {};
      for (const m of ef.filter((f) => f.no === 3)) {
        const mf = fields(m.value as Buffer);
        metadata[(mf.find((f) => f.no === 1)!.value as Buffer).toString()] = (mf.find((f) => f.no === 2)?.value as Buffer | undefined)?.toString() ?? '';
      }
      out.push({ labels, tsNs: sec * 1_000_000_000n + ns, line: (ef.find((f) => f.no === 2)?.value as Buffer | undefined)?.toString() ?? '', metadata });
    }
  }
  return out;
}
