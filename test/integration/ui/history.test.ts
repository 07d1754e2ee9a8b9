/**
 * History in a real browser: search over a time range and page through it, the volume
 * histogram and zooming by its bars, a record opened to all its fields and the records around
 * it, the NDJSON download of the whole match, and a shared address reloaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { column, launchBrowser, openSignedIn, postRecords, type TestRecord } from './browser.js';

let browser: Browser;
let hub: TestHub;
/** Minute-aligned start of the data: 250 `hist` records 12 s apart, a few `other` in between. */
const T0 = Math.floor((Date.now() - 55 * 60_000) / 60_000) * 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

beforeAll(async () => {
  [browser, hub] = await Promise.all([launchBrowser(), startTestHub()]);
  const records: TestRecord[] = [];
  for (let i = 0; i < 250; i++) {
    records.push({ service: 'hist', severity: i % 10 === 0 ? 'ERROR' : 'INFO', message: `hist ${String(i).padStart(3, '0')}`, host: 'hh', timestamp: iso(T0 + i * 12_000), fields: { n: i, user: `u${i % 7}` } });
    if (i % 50 === 25) records.push({ service: 'other', severity: 'WARN', message: `other near ${i}`, timestamp: iso(T0 + i * 12_000 + 1000) });
  }
  await postRecords(hub, records);
});
afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

async function rowsShown(page: Page, n: number): Promise<string[]> {
  await waitFor(async () => (await column(page, '#history-rows', 'msg')).length === n || undefined, { what: `${n} history rows` });
  return column(page, '#history-rows', 'msg');
}

const names = (from: number, to: number): string[] => {
  const out: string[] = [];
  for (let i = from; i >= to; i--) out.push(`hist ${String(i).padStart(3, '0')}`);
  return out;
};

describe('ui/history', () => {
  it('ui/history - searches a range newest first and pages through next_cursor, both ways', async () => {
    const { context, page, problems } = await openSignedIn(browser, hub, '/ui/?view=history&service=hist&from=1h');
    expect(await rowsShown(page, 100)).toEqual(names(249, 150));
    await page.click('#older');
    expect(await rowsShown(page, 100)).toEqual(names(149, 50));
    expect(await page.textContent('#page')).toBe('page 2');
    expect(new URL(page.url()).searchParams.get('cursor')).toBeTruthy();
    await page.click('#older');
    expect(await rowsShown(page, 50)).toEqual(names(49, 0));
    expect(await page.isDisabled('#older')).toBe(true);
    await page.click('#newer');
    await waitFor(async () => (await column(page, '#history-rows', 'msg'))[0] === 'hist 149', { what: 'page 2 again' });
    await page.click('#newer');
    await waitFor(async () => (await column(page, '#history-rows', 'msg'))[0] === 'hist 249', { what: 'page 1 again' });
    expect(await page.isDisabled('#newer')).toBe(true);

    // An absolute range (UTC) and the text filter.
    await page.selectOption('#range', 'custom');
    await page.fill('#from', iso(T0 + 100 * 12_000).slice(0, 19));
    await page.fill('#to', iso(T0 + 119 * 12_000).slice(0, 19));
    await page.click('#search');
    expect(await rowsShown(page, 20)).toEqual(names(119, 100));
    await page.fill('#f-q', 'HIST 11');
    await page.press('#f-q', 'Enter');
    expect(await rowsShown(page, 10)).toEqual(names(119, 110));
    expect(problems).toEqual([]);

    // That address, reloaded in a new tab, is the same view.
    const again = await openSignedIn(browser, hub, page.url());
    expect(await rowsShown(again.page, 10)).toEqual(names(119, 110));
    expect(await again.page.inputValue('#range')).toBe('custom');
    expect(await again.page.inputValue('#f-q')).toBe('HIST 11');
    await again.context.close();
    await context.close();
  });

  it('ui/history - the volume histogram shows bars by level; selecting bars zooms the search to them', async () => {
    const { context, page } = await openSignedIn(browser, hub, '/ui/');
    const step = 10 * 60_000;
    const asked: string[] = [];
    // The histogram's contract (GET /logs/volume), answered here so this test pins the page's side of it.
    await page.route('**/logs/volume?*', (route) => {
      asked.push(route.request().url());
      const buckets = Array.from({ length: 6 }, (_, i) => ({ t: iso(T0 + i * step), counts: { INFO: 45 - i, ERROR: 5 + i } }));
      void route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ step: '10m', buckets }) });
    });
    await page.goto('/ui/?view=history&service=hist&from=1h');
    await page.waitForSelector('#histogram .bucket');
    expect(await page.$$eval('#histogram .bucket', (els) => els.length)).toBe(6);
    expect(await page.$$eval('#histogram .bar.sev-ERROR', (els) => els.length)).toBe(6);
    expect(new URL(asked[0]).searchParams.get('service')).toBe('hist');
    expect(await page.textContent('#histogram')).toContain('300 records');

    // Drag from the second bar to the third: 10:00 → 29:59.999 after T0.
    const box = (await page.locator('#histogram svg').boundingBox())!;
    const x = (i: number) => box.x + ((i + 0.5) / 6) * box.width;
    await page.mouse.move(x(1), box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(x(2), box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.waitForURL(/from=20/);
    const url = new URL(page.url());
    expect(url.searchParams.get('from')).toBe(iso(T0 + step));
    expect(url.searchParams.get('to')).toBe(iso(T0 + 3 * step - 1));
    // 12 s apart: records 50..149 fall in [10 min, 30 min).
    expect(await rowsShown(page, 100)).toEqual(names(149, 50));
    await context.close();
  });

  it('ui/history - the hub\'s own histogram counts every match by level; clicking a bar zooms to its bucket', async () => {
    const { context, page, problems } = await openSignedIn(browser, hub, '/ui/?view=history&service=hist&from=1h');
    await page.waitForSelector('#histogram .bucket');
    expect(await page.textContent('#histogram .histogram-head')).toMatch(/^250 records · 30s per bar/);
    expect(await page.$$eval('#histogram .bar.sev-ERROR', (els) => els.length)).toBe(25);
    // The 30 s bucket at T0 + 20 min holds records 100..102 (12 s apart).
    const minute = iso(T0 + 20 * 60_000);
    const [index, count] = await page.$$eval('#histogram .bucket', (els, t) => [els.findIndex((e) => e.querySelector('title')?.textContent?.startsWith(t)), els.length], minute);
    expect(index).toBeGreaterThanOrEqual(0);
    const box = (await page.locator('#histogram svg').boundingBox())!;
    await page.mouse.click(box.x + ((index + 0.5) / count) * box.width, box.y + box.height / 2);
    await page.waitForURL((u) => u.searchParams.get('from') === minute);
    expect(new URL(page.url()).searchParams.get('to')).toBe(iso(T0 + 20 * 60_000 + 30_000 - 1));
    expect(await rowsShown(page, 3)).toEqual(names(102, 100));
    expect(problems).toEqual([]);
    await context.close();
  });

  it('ui/history - without /logs/volume on the hub the page says so and still searches', async () => {
    const { context, page } = await openSignedIn(browser, hub, '/ui/');
    await page.route('**/logs/volume?*', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"no endpoint","code":"HUB_ERR_NOT_FOUND"}' }));
    await page.goto('/ui/?view=history&service=hist&from=1h');
    await page.waitForFunction(() => /not available/.test(document.querySelector('#histogram')?.textContent ?? ''));
    expect(await rowsShown(page, 100)).toHaveLength(100);
    await context.close();
  });

  it('ui/history - a record opens to all its fields, and shows the records around it across services', async () => {
    const { context, page } = await openSignedIn(browser, hub, '/ui/?view=history&service=hist&from=1h&q=hist%20175');
    await rowsShown(page, 1);
    await page.click('#history-rows .row');
    await page.waitForSelector('#detail:not([hidden])');
    const fields = await page.$$eval('#detail-fields dt', (els) => els.map((e) => e.textContent));
    expect(fields).toEqual(['message', 'timestamp', 'received_at', 'service', 'severity', 'host', 'id', 'fields.n', 'fields.user']);
    const detail = await page.textContent('#detail-fields');
    expect(detail).toContain(iso(T0 + 175 * 12_000));
    expect(detail).toContain('u0');
    expect(JSON.parse((await page.textContent('#detail-json'))!).fields).toEqual({ n: 175, user: 'u0' });
    await page.keyboard.press('Escape');
    await page.waitForSelector('#detail', { state: 'hidden' });
    await page.click('#history-rows .row');
    await page.click('#show-around');
    await page.waitForURL(/around=/);
    await page.waitForSelector('#history-rows .row.highlight');
    const msgs = await column(page, '#history-rows', 'msg');
    expect(await page.textContent('#history-rows .row.highlight .msg')).toBe('hist 175');
    // 50 on each side (and the record itself), newest first, other services included.
    expect(msgs.length).toBeGreaterThanOrEqual(100);
    expect(msgs).toContain('other near 175');
    const i = msgs.indexOf('hist 175');
    expect(msgs.slice(i - 2, i + 2)).toEqual(['hist 176', 'other near 175', 'hist 175', 'hist 174']);
    await page.goBack();
    await rowsShown(page, 1);
    await context.close();
  });

  it('ui/history - downloads the whole match as NDJSON (all pages, not just the one shown)', async () => {
    const { context, page } = await openSignedIn(browser, hub, '/ui/?view=history&service=hist&severity=INFO&from=1h');
    await rowsShown(page, 100);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toMatch(/^logwire-.*\.ndjson$/);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { service: string; severity: string });
    expect(lines).toHaveLength(225);
    expect(new Set(lines.map((l) => `${l.service}/${l.severity}`))).toEqual(new Set(['hist/INFO']));
    await page.waitForFunction(() => /Downloaded/.test(document.querySelector('#history-status')?.textContent ?? ''));
    await context.close();
  });
});
