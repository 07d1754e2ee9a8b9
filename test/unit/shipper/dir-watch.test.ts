/**
 * A glob whose directory part has a wildcard (`logs/app*\/*.log`) follows files in many
 * directories. inotify must cover each of them, so that an appended line wakes the tailer instead
 * of waiting for a poll of every matched file (issue 10: 1,000 files matched by globs).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTailer, type Tailer } from '../../../shipper/tail.js';
import { waitFor } from '../../helpers/wait.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A tailer on `<dir>/app*\/*.log` that polls only once a minute: anything read sooner was woken by inotify. */
function startTailer(dir: string, lines: string[]): Tailer {
  const tailer = createTailer([{ path: join(dir, 'app*', '*.log'), maxLineBytes: 4096 }], { pollIntervalMs: 60_000, rotateWaitMs: 0, fromEnd: false }, new Map(), {
    onOpen: () => undefined,
    onLine: (_f, line) => void lines.push(line),
    onReset: () => undefined,
    onClose: () => undefined,
    gate: () => undefined,
    warn: () => undefined,
    info: () => undefined,
  });
  const running = tailer.run();
  cleanup.push(async () => {
    await tailer.close();
    await running;
  });
  return tailer;
}

describe('dir-watch', () => {
  it('dir-watch - lines appended in directories matched by a glob wildcard are read at once, also in a directory created later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-dirwatch-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    for (const d of ['app0', 'app1', 'app2']) {
      mkdirSync(join(dir, d));
      writeFileSync(join(dir, d, 'f.log'), `first in ${d}\n`);
    }
    const lines: string[] = [];
    startTailer(dir, lines);
    await waitFor(() => lines.length >= 3, { what: 'the three existing lines', timeoutMs: 5000 });

    appendFileSync(join(dir, 'app1', 'f.log'), 'appended to app1\n');
    await waitFor(() => lines.includes('appended to app1'), { what: 'the line appended to app1/f.log (a minute-long poll would not have seen it yet)', timeoutMs: 5000 });

    mkdirSync(join(dir, 'app9'));
    writeFileSync(join(dir, 'app9', 'new.log'), 'first in app9\n');
    await waitFor(() => lines.includes('first in app9'), { what: 'the file in the new directory app9', timeoutMs: 5000 });
    appendFileSync(join(dir, 'app9', 'new.log'), 'appended to app9\n');
    await waitFor(() => lines.includes('appended to app9'), { what: 'the line appended to app9/new.log', timeoutMs: 5000 });
    expect(lines.filter((l) => l === 'appended to app1' || l === 'appended to app9')).toHaveLength(2);
  });
});
