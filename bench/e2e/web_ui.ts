/**
 * The web page under load (issue 13), in Debian's Chromium driven by playwright-core. Not part of
 * the test suite. Measures:
 *  - first view: from navigation to the first records drawn (the page's own performance mark;
 *    live view, and history with its histogram request), signed in, against a hub running the demo shippers; median of several loads;
 *  - a flood: 100,000 records at 20,000 records/s over the shipper protocol into an open live
 *    view: records received/dropped, DOM rows, and the page's event-loop lag (a 50 ms timer's
 *    lateness, measured inside the page) and longest task.
 * With `--screenshots DIR` it also saves the main views as PNG (docs/ keeps them).
 *
 * Run: npm run build && node dist/bench/e2e/web_ui.js [--screenshots docs]
 * Env: LOGWIRE_CHROMIUM (default /usr/bin/chromium), BENCH_UI_TOTAL, BENCH_UI_RATE.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { join } from 'node:path';
import { machine, median, writeSection } from './results.js';
import { Shipper, startHubProc, type HubProc } from './tail-load.js';

// Globals of the page, for the callbacks that run there (page.evaluate); this file compiles for Node.
declare const window: unknown;
declare const document: { querySelectorAll(sel: string): { length: number } };
declare const sessionStorage: { setItem(k: string, v: string): void };

const TOTAL = Number(process.env.BENCH_UI_TOTAL ?? 100_000);
const RATE = Number(process.env.BENCH_UI_RATE ?? 20_000);
const BATCH = 1000;
const LOADS = 5;
const shotsDir = process.argv.includes('--screenshots') ? process.argv[process.argv.indexOf('--screenshots') + 1] : undefined;

async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function signedInPage(browser: Browser, hub: HubProc): Promise<Page> {
  const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1400, height: 820 } });
  await context.addInitScript((token) => sessionStorage.setItem('logwire.token', token), hub.token);
  return context.newPage();
}

/** ms from navigation start until the page first drew records (its own `logwire:first-records` mark). */
async function firstView(browser: Browser, hub: HubProc, path: string): Promise<number> {
  const page = await signedInPage(browser, hub);
  await page.goto(path);
  await page.waitForFunction(() => performance.getEntriesByName('logwire:first-records').length > 0);
  const ms = await page.evaluate(() => performance.getEntriesByName('logwire:first-records')[0].startTime);
  await page.context().close();
  return ms;
}

async function flood(browser: Browser, hub: HubProc): Promise<Record<string, number>> {
  const page = await signedInPage(browser, hub);
  await page.goto('/ui/?view=live&service=flood-0,flood-1,flood-2,flood-3,flood-4');
  await page.waitForSelector('#live-status[data-state="live"]');
  await page.evaluate(() => {
    const w = window as unknown as { lags: number[]; longest: number };
    w.lags = [];
    w.longest = 0;
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      w.lags.push(Math.max(0, now - last - 50));
      last = now;
    }, 50);
    new PerformanceObserver((l) => { for (const e of l.getEntries()) w.longest = Math.max(w.longest, e.duration); }).observe({ type: 'longtask' } as never);
  });
  const shipper = new Shipper(hub.wsUrl, hub.token, 'ui-flood');
  await shipper.ready;
  const started = Date.now();
  for (let b = 0; b < TOTAL / BATCH; b++) {
    const due = started + (b * BATCH * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    shipper.send(Array.from({ length: BATCH }, (_, i) => ({ service: `flood-${i % 5}`, severity: i % 9 === 0 ? 'ERROR' : 'INFO', message: `flood ${b}/${i} GET /api/v1/items/${i} 200 ${i % 97}ms user=u${i % 13}` })));
  }
  await shipper.idle();
  const sentMs = Date.now() - started;
  shipper.close();
  const count = async (sel: string) => Number(/^[\d,]*/.exec((await page.textContent(sel)) ?? '')![0].replace(/,/g, ''));
  await waitUntil(async () => (await count('#live-count')) + (await count('#live-dropped')) >= TOTAL, 60_000, 'every record received or dropped');
  const doneMs = Date.now() - started;
  const lag = await page.evaluate(() => {
    const w = window as unknown as { lags: number[]; longest: number };
    const s = [...w.lags].sort((a, b) => a - b);
    return { p50: s[s.length >> 1] ?? 0, p99: s[Math.floor(s.length * 0.99)] ?? 0, max: s.at(-1) ?? 0, longest: w.longest };
  });
  const out = {
    sentMs, doneMs, received: await count('#live-count'), dropped: await count('#live-dropped'),
    rows: await page.$$eval('#live-rows .row', (e) => e.length), lagP50: lag.p50, lagP99: lag.p99, lagMax: lag.max, longestTask: lag.longest,
  };
  await page.context().close();
  return out;
}

async function screenshots(browser: Browser, hub: HubProc, dir: string): Promise<void> {
  const page = await signedInPage(browser, hub);
  await page.goto('/ui/?view=live');
  await page.waitForFunction(() => document.querySelectorAll('#live-rows .row').length >= 40);
  await page.screenshot({ path: join(dir, 'web-ui-live.png') });
  await page.goto('/ui/?view=history&from=15m&severity=WARN%2B');
  await page.waitForSelector('#history-rows .row');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(dir, 'web-ui-history.png') });
  await page.click((await page.$('#history-rows .row.sev-ERROR')) ? '#history-rows .row.sev-ERROR' : '#history-rows .row');
  await page.waitForSelector('#detail:not([hidden])');
  await page.screenshot({ path: join(dir, 'web-ui-detail.png') });
  await page.context().close();
}

const hub = await startHubProc(['--demo']);
const browser = await chromium.launch({
  executablePath: process.env.LOGWIRE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // Let the demo shippers fill a few minutes' worth of history first.
  await waitUntil(async () => {
    const s = (await (await fetch(`${hub.url}/stats`, { headers: { authorization: `Bearer ${hub.token}` } })).json()) as { total: number };
    return s.total >= 1000;
  }, 60_000, 'demo records');
  const live: number[] = [];
  const hist: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    live.push(await firstView(browser, hub, '/ui/?view=live'));
    hist.push(await firstView(browser, hub, '/ui/?view=history&from=15m'));
  }
  if (shotsDir) await screenshots(browser, hub, shotsDir);
  const f = await flood(browser, hub);
  const r = (n: number) => Math.round(n);
  const md = `## Web page (issue 13) — \`bench/e2e/web_ui.ts\`

Machine: ${machine()}. Chromium ${browser.version()} headless (software rendering), viewport 1400×820; hub as its own process with the demo shippers.

| measure | result |
|---|---|
| first view, live (navigation → first live records drawn, signed in), median of ${LOADS} | ${r(median(live))} ms |
| first view, history (navigation → 100 newest records drawn), median of ${LOADS} | ${r(median(hist))} ms |
| flood: ${TOTAL.toLocaleString('en')} records offered at ${RATE.toLocaleString('en')}/s | sent in ${f.sentMs} ms; all received or reported dropped after ${f.doneMs} ms |
| records received / dropped by the hub (page fell behind) | ${f.received.toLocaleString('en')} / ${f.dropped.toLocaleString('en')} |
| rows in the DOM at the end (cap 1000) | ${f.rows} |
| page event-loop lag during the flood (50 ms timer) p50 / p99 / max | ${r(f.lagP50)} / ${r(f.lagP99)} / ${r(f.lagMax)} ms |
| longest task | ${r(f.longestTask)} ms |
`;
  console.log(md);
  console.log(JSON.stringify({ bench: 'web_ui', firstViewLiveMs: median(live), firstViewHistoryMs: median(hist), ...f }));
  writeSection('web-ui', md);
} finally {
  await browser.close();
  await hub.stop();
}
