/**
 * Crash test: a child process appends through the real (compiled) store and prints every ack;
 * we SIGKILL it at a random moment, reopen the store and check that every acked batch is stored
 * exactly once, every batch is all-or-nothing, and dedupe still holds. Twice in a row.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collect, rng, tempDir, tempStore } from '../../helpers/store.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const OUT = join(ROOT, 'node_modules/.cache/logwire-store-crash');
const CHILD = join(ROOT, 'test/fixtures/store-crash-child.mjs');

beforeAll(() => {
  mkdirSync(OUT, { recursive: true });
  // node_modules ends the package scope lookup, so say "ESM" here ourselves.
  writeFileSync(join(OUT, 'package.json'), '{"type":"module"}\n');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', OUT, '--sourceMap', 'false', '--noEmitOnError', 'false'], { cwd: ROOT, stdio: 'ignore' });
}, 180_000);

function runAndKill(dir: string, firstSeq: number, killAfterAcks: number): Promise<Array<{ shipper: string; seq: number }>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CHILD, join(OUT, 'hub/store/store.js'), dir, String(firstSeq)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Array<{ shipper: string; seq: number }> = [];
    let buf = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^ack (\S+) (\d+)/.exec(line);
        if (m) acks.push({ shipper: m[1], seq: Number(m[2]) });
      }
      if (!killed && acks.length >= killAfterAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise(acks);
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}

describe('crash', () => {
  it('crash - kill -9 right after acks loses no acked batch and stores none twice', async () => {
    const dir = tempDir();
    const rand = rng(Date.now() & 0xffff);
    const acked: Array<{ shipper: string; seq: number }> = [];
    for (let round = 0; round < 2; round++) {
      acked.push(...(await runAndKill(dir, 1, 30 + Math.floor(rand() * 300))));
    }
    const { store } = await tempStore(dir);
    const all = collect(store.query({}, { order: 'asc' }));
    const seen = new Map<string, number>();
    for (const r of all) {
      const m = /^(\S+) seq=(\d+) i=(\d+) of (\d+)/.exec(r.message)!;
      const key = `${m[1]}/${m[2]}/${m[3]}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const [key, n] of seen) expect(n, `stored twice: ${key}`).toBe(1);
    // Every batch present is complete (atomic commit), acked or not.
    const batches = new Map<string, { size: number; got: number }>();
    for (const r of all) {
      const m = /^(\S+) seq=(\d+) i=\d+ of (\d+)/.exec(r.message)!;
      const b = batches.get(`${m[1]}/${m[2]}`) ?? { size: Number(m[3]), got: 0 };
      b.got++;
      batches.set(`${m[1]}/${m[2]}`, b);
    }
    for (const [key, b] of batches) expect(b.got, `partial batch ${key}`).toBe(b.size);
    for (const a of acked) {
      expect(batches.has(`${a.shipper}/${a.seq}`), `acked but lost: ${a.shipper}/${a.seq}`).toBe(true);
      expect(store.ackedSeq(a.shipper)).toBeGreaterThanOrEqual(a.seq);
      expect(await store.append([{ ts: 1, service: 'x', severity: 'INFO', message: 'dup' }], a)).toEqual({ duplicate: true });
    }
    expect(store.stats().total).toBe(all.length);
    expect(acked.length).toBeGreaterThan(30);
    // The log left by the kill is indexed after the reopen: same records, each once, none left in the log.
    await store.indexed();
    expect(store.indexLagRecords()).toBe(0);
    expect(collect(store.query({}, { order: 'asc' })).map((r) => r.id)).toEqual(all.map((r) => r.id));
  }, 240_000);
});
