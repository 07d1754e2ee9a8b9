/**
 * What the tailer may read: symbolic links out of the watched directory are refused unless
 * configured, and a FIFO (reached directly or through a link) never blocks reading: files are
 * opened non-blocking and their type is checked before any read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTailer } from '../../../shipper/tail.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A watched dir `w/` with one real log, and outside it a secret file and a FIFO, linked from `w/`. */
function layout(): { w: string; outside: string } {
  const root = mkdtempSync(join(tmpdir(), 'lw-disc-'));
  dirs.push(root);
  const w = join(root, 'w');
  const outside = join(root, 'etc');
  mkdirSync(w);
  mkdirSync(outside);
  writeFileSync(join(w, 'app.log'), 'app line 1\napp line 2\n');
  writeFileSync(join(outside, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  execFileSync('mkfifo', [join(outside, 'pipe')]);
  execFileSync('mkfifo', [join(w, 'inside-pipe.log')]);
  symlinkSync(join(outside, 'passwd'), join(w, 'passwd.log'));
  symlinkSync(join(outside, 'pipe'), join(w, 'pipe.log'));
  // A link that stays inside the watched directory is followed as before.
  symlinkSync(join(w, 'app.log'), join(w, 'current.log'));
  return { w, outside };
}

async function readAll(paths: string[], followSymlinks: boolean): Promise<{ lines: Array<[string, string]>; warnings: string[] }> {
  const lines: Array<[string, string]> = [];
  const warnings: string[] = [];
  const tailer = createTailer(paths.map((path) => ({ path, maxLineBytes: 4096 })), { pollIntervalMs: 50, rotateWaitMs: 0, fromEnd: false, followSymlinks }, new Map(), {
    onOpen: () => undefined,
    onLine: (f, line) => lines.push([f.path, line]),
    onReset: () => undefined,
    onClose: () => undefined,
    gate: () => undefined,
    warn: (m) => warnings.push(m),
    info: () => undefined,
  });
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('a read cycle blocked for 5 s')), 5000)));
  try {
    await Promise.race([tailer.cycle(), stuck]);
    await Promise.race([tailer.cycle(), stuck]);
  } finally {
    clearTimeout(timer);
    await tailer.close();
  }
  return { lines, warnings };
}

describe('discovery', () => {
  it('discovery - a glob never follows a link out of its directory, and FIFOs are skipped without blocking', async () => {
    const { w } = layout();
    const { lines, warnings } = await readAll([join(w, '*.log')], false);
    const texts = lines.map(([, l]) => l);
    expect(texts).not.toContain('root:x:0:0:root:/root:/bin/bash');
    expect(texts.filter((l) => l === 'app line 1')).toHaveLength(2); // app.log and current.log → app.log
    expect(warnings.some((m) => m.includes('passwd.log') && /outside the watched directories/.test(m) && m.includes('--follow-symlinks'))).toBe(true);
    expect(warnings.some((m) => m.includes('pipe.log') && /outside the watched directories/.test(m))).toBe(true);
  });

  it('discovery - an explicit FIFO path, and a link to one with --follow-symlinks, are refused by type', async () => {
    const { w } = layout();
    const { lines, warnings } = await readAll([join(w, 'inside-pipe.log'), join(w, 'pipe.log'), join(w, 'app.log')], true);
    expect(lines.map(([, l]) => l)).toEqual(['app line 1', 'app line 2']);
    expect(warnings.some((m) => m.includes('inside-pipe.log') && /FIFO, not a regular file/.test(m))).toBe(true);
    expect(warnings.some((m) => m.includes('pipe.log') && /FIFO, not a regular file/.test(m))).toBe(true);
  });

  it('discovery - with followSymlinks a link out of the directory is read; a lasting refusal is reported once', async () => {
    const { w } = layout();
    const on = await readAll([join(w, 'passwd.log')], true);
    expect(on.lines.map(([, l]) => l)).toEqual(['root:x:0:0:root:/root:/bin/bash']);
    const off = await readAll([join(w, 'passwd.log')], false);
    expect(off.lines).toEqual([]);
    expect(off.warnings).toHaveLength(1);
  });
});
