/**
 * Model-based test of the tailer (Vector file_watcher tests): seeded random sequences of
 * append / rename rotation / copytruncate / truncate / delete / restart, with the tailer's read
 * cycles interleaved, checked against a model of the lines written. Every line must arrive
 * exactly once and in order, except lines that could not be read because their file's content
 * was truncated (or vanished unopened) before a read cycle: those may be lost, never duplicated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTailer, type TailedFile, type Tailer } from '../../../shipper/tail.js';
import type { FilePosition } from '../../../shipper/checkpoint.js';
import { prng } from '../../../shipper/simulate.js';

interface ModelFile { lines: number[]; unread: number[]; opened: boolean; truncatedUnseen?: boolean }

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function runModel(seed: number, steps: number): Promise<{ delivered: number[]; mayLose: Set<number>; copiedInPlace: Set<number>; written: number; ops: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-tail-'));
  dirs.push(dir);
  const path = join(dir, 'app.log');
  const rnd = prng(seed);
  const delivered: number[] = [];
  const ops: string[] = [];
  const mayLose = new Set<number>();
  const copiedInPlace = new Set<number>();
  const positions = new Map<string, FilePosition>();
  let next = 1;
  let cur: ModelFile | undefined;

  const makeTailer = (): Tailer =>
    createTailer([{ path, maxLineBytes: 4096 }], { pollIntervalMs: 10, rotateWaitMs: 0, fromEnd: false }, new Map(positions), {
      onOpen: (f: TailedFile) => ops.push(`OPEN ${f.ident.key.split(':')[1]}@${f.readPos}`),
      onLine(f: TailedFile, line: string, end: number) {
        const m = /^L(\d+) x*$/.exec(line);
        if (!m) throw new Error(`${ops.slice(-30).join(' ')} garbage line ${JSON.stringify(line.slice(0, 80))} at ${end}`);
        delivered.push(Number(m[1]));
        // Deliveries in the op log as ranges `D<first>-<last><inode`, for failure messages.
        const id = Number(m[1]);
        const tag = `<${f.ident.key.split(':')[1]}`;
        const last = /^D(\d+)-(\d+)(<\d+)$/.exec(ops[ops.length - 1] ?? '');
        if (last && last[3] === tag && Number(last[2]) === id - 1) ops[ops.length - 1] = `D${last[1]}-${id}${tag}`;
        else ops.push(`D${id}-${id}${tag}`);
        positions.set(f.ident.key, { ...f.ident, offset: end });
      },
      onReset: (f: TailedFile, r: string) => ops.push(`RESET ${f.ident.key.split(':')[1]} ${r}`),
      onClose: (f: TailedFile) => ops.push(`CLOSE ${f.ident.key.split(':')[1]}`),
      gate: () => undefined,
      warn: () => undefined,
      info: (m: string) => ops.push(`INFO ${m.slice(-50)}`),
    });
  let tailer = makeTailer();

  const cycle = async () => {
    await tailer.cycle();
    for (const f of away) f.unread = [];
    away.length = 0;
    if (cur) {
      cur.opened = true;
      cur.unread = [];
      cur.truncatedUnseen = false;
    }
  };
  const append = () => {
    if (!cur) cur = { lines: [], unread: [], opened: false };
    const n = 1 + Math.floor(rnd() * 20);
    let text = '';
    for (let i = 0; i < n; i++) {
      const id = next++;
      cur.lines.push(id);
      cur.unread.push(id);
      text += `L${id} ${'x'.repeat(Math.floor(rnd() * 120))}\n`;
    }
    ops.push(`[${cur.lines[cur.lines.length - n]}-${next - 1}]`);
    appendFileSync(path, text);
  };
  const away: ModelFile[] = [];
  let atP1: ModelFile | undefined;
  const vanish = () => {
    if (cur) away.push(cur);
    // The file leaves its path: readable later only if the tailer already holds it open.
    if (cur && !cur.opened) for (const id of cur.lines) mayLose.add(id);
    if (cur?.truncatedUnseen) for (const id of cur.unread) mayLose.add(id);
    cur = undefined;
  };
  const truncated = () => {
    if (cur) for (const id of cur.unread) mayLose.add(id);
    if (cur) cur.unread = [];
    if (cur) cur.truncatedUnseen = true;
  };


  for (let step = 0; step < steps; step++) {
    const r = rnd();
    ops.push(r < 0.45 ? 'append' : r < 0.7 ? 'cycle' : r < 0.78 ? 'rename' : r < 0.84 ? 'copytrunc' : r < 0.88 ? 'trunc' : r < 0.92 ? 'delete' : r < 0.97 ? 'restart' : 'create');
    if (r < 0.45) append();
    else if (r < 0.7) await cycle();
    else if (r < 0.78 && existsSync(path)) {
      renameSync(path, `${path}.1`);
      atP1 = cur;
      vanish();
      if (rnd() < 0.7) append();
    } else if (r < 0.84 && existsSync(path)) {
      // The copy overwrites `.1` in place: a renamed file there not yet drained loses its tail.
      if (atP1) for (const id of atP1.unread) mayLose.add(id);
      // When `.1` is a rotated file the tailer still drains, the copy may be read from there:
      // those lines were not read from `path` and are not read from it again (truncated), so
      // they may arrive, once, after lines of a file rotated later.
      if (existsSync(`${path}.1`) && cur) for (const id of cur.unread) copiedInPlace.add(id);
      copyFileSync(path, `${path}.1`);
      truncateSync(path, 0);
      truncated();
    } else if (r < 0.88 && existsSync(path)) {
      truncateSync(path, 0);
      truncated();
    } else if (r < 0.92 && existsSync(path)) {
      unlinkSync(path);
      vanish();
    } else if (r < 0.97) {
      // Restart: resume from the positions of what was delivered. Files that left the path
      // since the last cycle are no longer held open, so their unread lines may be gone.
      await tailer.close();
      for (const f of away) for (const id of f.unread) mayLose.add(id);
      away.length = 0;
      tailer = makeTailer();
      await cycle();
    } else if (!existsSync(path)) {
      writeFileSync(path, '');
      cur = { lines: [], unread: [], opened: false };
    }
  }
  await cycle();
  await cycle();
  await tailer.close();
  return { delivered, mayLose, copiedInPlace, written: next - 1, ops };
}

/**
 * A few fixed seeds by default (31337: a copy written in place over a rotated file that was
 * empty when rotated). For a wider search: TAIL_MODEL_SEEDS=200 [TAIL_MODEL_SEED_BASE=1000]
 * [TAIL_MODEL_STEPS=400] npx vitest run test/unit/shipper/tail.test.ts
 */
const FIXED_SEEDS = [1, 2, 3, 7, 42, 1234, 99991, 31337];
const extra = Number(process.env.TAIL_MODEL_SEEDS ?? 0);
const base = Number(process.env.TAIL_MODEL_SEED_BASE ?? 100_000);
const SEEDS = extra > 0 ? Array.from({ length: extra }, (_, i) => base + i) : FIXED_SEEDS;
const STEPS = Number(process.env.TAIL_MODEL_STEPS ?? 400);

describe('tail - model-based rotation', () => {
  for (const seed of SEEDS) {
    it(`tail - seed ${seed}: every line once and in order, losses only in the truncation race`, async () => {
      const { delivered, mayLose, copiedInPlace, written, ops } = await runModel(seed, STEPS);
      const seen = new Set<number>();
      const around = (id: number) => {
        const i = ops.findIndex((o) => o.startsWith('[') && Number(o.slice(1).split('-')[0]) <= id && id <= Number(o.slice(0, -1).split('-')[1]));
        return ops.slice(Math.max(0, i - 2), i + 60).join(' ');
      };
      for (const id of delivered) {
        expect(seen.has(id), `line ${id} delivered twice: ${around(id)}`).toBe(false);
        seen.add(id);
      }
      const ordered = delivered.filter((id) => !copiedInPlace.has(id));
      for (let i = 1; i < ordered.length; i++) expect(ordered[i], `lines out of order: ${around(ordered[i])}`).toBeGreaterThan(ordered[i - 1]);
      const missing: number[] = [];
      for (let id = 1; id <= written; id++) if (!seen.has(id) && !mayLose.has(id)) missing.push(id);
      expect(missing, `lost lines outside the race window (written ${written}): ${missing.length ? around(missing[0]) : ''}`).toEqual([]);
      expect(delivered.length).toBeGreaterThan(written / 3);
    });
  }
});
