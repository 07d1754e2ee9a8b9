/**
 * Browser tests of the web page: Debian's Chromium driven by playwright-core (no browser
 * download; `.ci/run` installs the `chromium` package). One browser per test file; each test
 * takes a fresh context (its own sessionStorage, so its own sign-in).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where a hub is and a token for it (a TestHub, or a spawned hub process). */
export interface HubAddress {
  url: string;
  token: string;
}

export const CHROMIUM = process.env.LOGWIRE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set LOGWIRE_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface SignedIn {
  context: BrowserContext;
  page: Page;
  /** Page errors and alert() calls seen so far: a test of the page expects none. */
  problems: string[];
}

/** Opens `path` (an address on the hub) in a new context and signs in with `token`. */
export async function openSignedIn(browser: Browser, hub: HubAddress, path = '/', token = hub.token): Promise<SignedIn> {
  const context = await browser.newContext({ baseURL: hub.url, viewport: { width: 1400, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(path);
  await page.fill('#token', token);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('header .brand');
  return { context, page, problems };
}

export interface TestRecord {
  service: string;
  severity?: string;
  message: string;
  host?: string;
  file?: string;
  timestamp?: string;
  fields?: Record<string, unknown>;
}

/** Stores records through POST /logs (201 once durable). */
export async function postRecords(hub: HubAddress, records: TestRecord[]): Promise<void> {
  const res = await fetch(`${hub.url}/logs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  if (res.status !== 201) throw new Error(`POST /logs answered ${res.status}: ${await res.text()}`);
}

/** The text of every live row's given column, in page order. */
export function column(page: Page, rows: string, cls: 'msg' | 'svc' | 'sev' | 'host' | 'ts'): Promise<string[]> {
  return page.$$eval(`${rows} .row:not(.notice) .${cls}`, (els) => els.map((e) => e.textContent ?? ''));
}
