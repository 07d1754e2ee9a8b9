/**
 * Shared by the e2e benchmarks (not part of the test suite): machine description, percentiles,
 * and writing one scenario's section of bench/RESULTS.md between markers, so each script
 * refreshes its own figures without touching the others'.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RecordableHistogram } from 'node:perf_hooks';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const RESULTS = join(REPO_ROOT, 'bench', 'RESULTS.md');

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}, load average ${loadavg()[0].toFixed(2)} at the start`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** p50/p99/p99.9/max in ms from a histogram recorded in nanoseconds. */
export function percentilesMs(h: RecordableHistogram): { p50: number; p99: number; p999: number; max: number } {
  const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), p999: ms(h.percentile(99.9)), max: ms(h.max) };
}

/** Peak resident set size of a process, from /proc (VmHWM), in MB. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100 Hz)
  } catch {
    return undefined;
  }
}

export function writeSection(name: string, markdown: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let doc = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n\nWritten by the scripts in bench/; each section says how it was produced. Not part of the test suite.\n';
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS, doc);
}

/**
 * Samples a process's resident memory every `intervalMs`, keeping the peaks of its anonymous part
 * (heap, buffers: what the process really holds) and its file-backed part (mapped files such as
 * LMDB's data file and the binaries: page cache the kernel can reclaim). VmHWM reports only
 * their sum.
 */
export function sampleRss(pid: number, intervalMs = 50): { stop(): { anonMb: number; fileMb: number } } {
  let anon = 0;
  let file = 0;
  const read = () => {
    try {
      const s = readFileSync(`/proc/${pid}/status`, 'utf8');
      anon = Math.max(anon, Number(/RssAnon:\s+(\d+) kB/.exec(s)?.[1] ?? 0));
      file = Math.max(file, Number(/RssFile:\s+(\d+) kB/.exec(s)?.[1] ?? 0));
    } catch {
      // the process is gone
    }
  };
  const timer = setInterval(read, intervalMs);
  read();
  return {
    stop() {
      clearInterval(timer);
      read();
      return { anonMb: Math.round(anon / 1024), fileMb: Math.round(file / 1024) };
    },
  };
}
