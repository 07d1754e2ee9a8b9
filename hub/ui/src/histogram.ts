/**
 * The volume histogram (GET /logs/volume): one stacked bar per time bucket, one colour per
 * level. Press on a bar and release on another (or click one) to zoom the search to those buckets.
 */
import { clear, el, svgEl } from './dom.js';
import { plural } from './text.js';
import { SEVERITIES, type VolumeAnswer } from './types.js';

const STEP_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30s`, `5m`, `1h` → milliseconds; undefined when not such a duration. */
export function stepMs(step: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(step.trim());
  return m ? Number(m[1]) * STEP_UNITS_MS[m[2]] : undefined;
}

const BAR_W = 10;
const HEIGHT = 100;

export function renderHistogram(root: HTMLElement, answer: VolumeAnswer, zoom: (fromIso: string, toIso: string) => void): void {
  clear(root);
  const { buckets } = answer;
  const step = stepMs(answer.step);
  const totals = buckets.map((b) => Object.values(b.counts).reduce((a, n) => a + n, 0));
  const max = Math.max(1, ...totals);
  const all = totals.reduce((a, n) => a + n, 0);
  const svg = svgEl('svg', { viewBox: `0 0 ${Math.max(1, buckets.length) * BAR_W} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'records per time bucket by level' });
  buckets.forEach((b, i) => {
    const g = svgEl('g', { class: 'bucket', 'data-i': i });
    g.append(svgEl('rect', { class: 'hit', x: i * BAR_W, y: 0, width: BAR_W, height: HEIGHT }));
    let y = HEIGHT;
    for (const sev of SEVERITIES) {
      const n = b.counts[sev] ?? 0;
      if (!n) continue;
      const h = (n / max) * HEIGHT;
      y -= h;
      g.append(svgEl('rect', { class: `bar sev-${sev}`, x: i * BAR_W + 1, y, width: BAR_W - 2, height: h }));
    }
    const tip = svgEl('title');
    tip.textContent = `${b.t}: ${plural(totals[i], 'record')}${SEVERITIES.filter((s) => b.counts[s]).map((s) => `, ${s} ${b.counts[s]}`).join('')}`;
    g.append(tip);
    svg.append(g);
  });
  const selection = svgEl('rect', { class: 'selection', x: 0, y: 0, width: 0, height: HEIGHT });
  svg.append(selection);

  const indexAt = (ev: PointerEvent): number => {
    const box = svg.getBoundingClientRect();
    const i = Math.floor(((ev.clientX - box.left) / Math.max(1, box.width)) * buckets.length);
    return Math.min(buckets.length - 1, Math.max(0, i));
  };
  let start: number | undefined;
  const mark = (a: number, b: number): void => {
    const lo = Math.min(a, b);
    selection.setAttribute('x', String(lo * BAR_W));
    selection.setAttribute('width', String((Math.abs(a - b) + 1) * BAR_W));
  };
  svg.addEventListener('pointerdown', (ev) => {
    if (!buckets.length || step === undefined) return;
    start = indexAt(ev as PointerEvent);
    mark(start, start);
  });
  svg.addEventListener('pointermove', (ev) => {
    if (start !== undefined) mark(start, indexAt(ev as PointerEvent));
  });
  svg.addEventListener('pointerup', (ev) => {
    if (start === undefined || step === undefined) return;
    const end = indexAt(ev as PointerEvent);
    const lo = Math.min(start, end);
    const hi = Math.max(start, end);
    start = undefined;
    const from = Date.parse(buckets[lo].t);
    const to = Date.parse(buckets[hi].t) + step - 1;
    zoom(new Date(from).toISOString(), new Date(to).toISOString());
  });

  const first = buckets[0]?.t ?? '';
  const last = buckets.length && step !== undefined ? new Date(Date.parse(buckets[buckets.length - 1].t) + step).toISOString() : '';
  root.append(
    el('div', { class: 'histogram-head' },
      el('span', { text: `${plural(all, 'record')} · ${answer.step} per bar · highest bar ${max.toLocaleString('en')}` }),
      el('span', { class: 'hint', text: 'drag across bars (or click one) to zoom' })),
    svg,
    el('div', { class: 'histogram-axis' }, el('span', { text: first.replace('T', ' ').replace('Z', '') }), el('span', { text: last.replace('T', ' ').replace('Z', '') })),
  );
}
