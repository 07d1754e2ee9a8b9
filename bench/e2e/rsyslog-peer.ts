/**
 * rsyslog as the peer in the file → shipper → hub benchmark (bench/e2e/shipper_to_store.ts), on the
 * same input in the same run, so logwire's figures can be given as ratios. NOT part of the tests.
 *
 * Two rsyslogd processes of our own (Debian `rsyslog`; own configs, pid files and work dirs; never
 * the system one): a sender (imfile reading the input from its start → omfwd over TCP) and a
 * receiver (imtcp → omfile). No acks and no fsync: rsyslog's usual setup. The clock stops when
 * the receiver's output file stops growing after holding all lines (imfile drops empty lines, so
 * "all" is the non-empty lines of the input); CPU is both processes', peak RSS each one's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { cpuSeconds, peakRssMb } from './results.js';

export const RSYSLOGD = '/usr/sbin/rsyslogd';

export interface RsyslogResult {
  lines: number;
  seconds: number;
  lines_per_s: number;
  cpu_s_per_million_lines: number;
  sender_peak_rss_mb: number;
  receiver_peak_rss_mb: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function start(dir: string, name: string, conf: string): ChildProcess {
  mkdirSync(join(dir, `${name}-work`), { recursive: true });
  const path = join(dir, `${name}.conf`);
  writeFileSync(path, `global(workDirectory="${join(dir, `${name}-work`)}" maxMessageSize="64k")\n${conf}\n`);
  return spawn(RSYSLOGD, ['-n', '-f', path, '-i', join(dir, `${name}.pid`)], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Counts newlines appended to `path` since the last call. */
function lineCounter(path: string): () => number {
  let offset = 0;
  let lines = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  return () => {
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      return lines;
    }
    if (size <= offset) return lines;
    const fd = openSync(path, 'r');
    try {
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
        offset += n;
      }
    } finally {
      closeSync(fd);
    }
    return lines;
  };
}

/** Ships `input` through rsyslog imfile → TCP → imtcp → omfile; `expected` = non-empty lines. */
export async function runRsyslog(dir: string, input: string, expected: number): Promise<RsyslogResult> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const out = join(dir, 'out.log');
  const receiver = start(dir, 'receiver', `module(load="imtcp" MaxSessions="16")
input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="out")
template(name="msgonly" type="string" string="%msg%\\n")
ruleset(name="out") { action(type="omfile" file="${out}" template="msgonly" asyncWriting="on" ioBufferSize="256k" flushInterval="1") }`);
  await new Promise((r) => setTimeout(r, 500)); // imtcp listening before the sender connects
  const t0 = performance.now();
  const sender = start(dir, 'sender', `module(load="imfile")
input(type="imfile" File="${input}" Tag="bench" ruleset="fwd" freshStartTail="off" reopenOnTruncate="on")
ruleset(name="fwd") { action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" template="RSYSLOG_ForwardFormat" queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="1024") }`);
  const count = lineCounter(out);
  let last = 0;
  let lastGrowth = t0;
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const n = count();
      const now = performance.now();
      if (n > last) {
        last = n;
        lastGrowth = now;
      }
      if (n >= expected) break;
      if (now - lastGrowth > 5000) {
        if (n === 0) throw new Error('rsyslog wrote nothing in 5 s: check its configuration (stderr above)');
        break; // stopped growing short of `expected`: reported with the count it reached
      }
    }
    const seconds = (lastGrowth - t0) / 1000;
    const cpu = (cpuSeconds(sender.pid!) ?? NaN) + (cpuSeconds(receiver.pid!) ?? NaN);
    return {
      lines: last,
      seconds,
      lines_per_s: last / seconds,
      cpu_s_per_million_lines: (cpu * 1e6) / last,
      sender_peak_rss_mb: peakRssMb(sender.pid!) ?? NaN,
      receiver_peak_rss_mb: peakRssMb(receiver.pid!) ?? NaN,
    };
  } finally {
    for (const p of [sender, receiver]) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
  }
}
