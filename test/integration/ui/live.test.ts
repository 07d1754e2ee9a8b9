/**
 * The live view in a real browser: sign-in, records from a real shipper appearing live, the
 * filters (and the address that holds them), pausing, markup shown as text, drop and gap
 * notices, and reconnection after the hub restarts with nothing missed or repeated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { REPO_ROOT, freePort, spawnHub, startTestHub, tempDir, type HubProcess, type TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { column, launchBrowser, openSignedIn, postRecords, type TestRecord } from './browser.js';

let browser: Browser;
let hub: TestHub;
beforeAll(async () => {
  [browser, hub] = await Promise.all([launchBrowser(), startTestHub()]);
});
afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

const rec = (service: string, severity: string, message: string, host = 'h1'): TestRecord => ({ service, severity, message, host });

describe('ui/live', () => {
  it('ui/live - a wrong token is refused in plain words; the right one signs in and stays for the tab only', async () => {
    const context = await browser.newContext({ baseURL: hub.url });
    const page = await context.newPage();
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/ui/');
    expect(await page.getAttribute('#token', 'type')).toBe('password');
    await page.fill('#token', 'not-the-token');
    await page.click('#signin button[type=submit]');
    await page.waitForFunction(() => /did not accept that token/.test(document.querySelector('#signin-message')?.textContent ?? ''));
    await page.fill('#token', hub.token);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('#live-status[data-state="live"]');
    expect(await page.evaluate(() => ({ session: Object.values(sessionStorage), local: localStorage.length }))).toEqual({ session: [hub.token], local: 0 });
    await page.reload();
    await page.waitForSelector('#live-status[data-state="live"]');
    await page.click('#sign-out');
    await page.waitForSelector('#token');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await context.close();
  });

  it('ui/live - lines written to a file shipped by logwire-shipper appear live', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    const shipper = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'shipper', 'main.js'), '--hub', hub.wsUrl, '--file', file, '--service', 'shipped', '--host', 'box-7', '--state-dir', join(dir, 'state')], {
      env: { ...process.env, LOGWIRE_TOKEN: hub.token, LOGWIRE_LOG_LEVEL: 'warn' }, stdio: 'ignore',
    });
    const { context, page, problems } = await openSignedIn(browser, hub, '/ui/?view=live&service=shipped');
    try {
      await page.waitForSelector('#live-status[data-state="live"]');
      appendFileSync(file, 'first line from the file\nERROR second line\n');
      await waitFor(async () => (await column(page, '#live-rows', 'msg')).length >= 2, { timeoutMs: 15_000, what: 'shipped lines in the page' });
      expect((await column(page, '#live-rows', 'msg')).join('\n')).toContain('first line from the file');
      expect(await column(page, '#live-rows', 'host')).toEqual(['box-7', 'box-7']);
      expect(problems).toEqual([]);
    } finally {
      const exited = new Promise((r) => shipper.once('exit', r));
      shipper.kill('SIGTERM');
      await exited;
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ui/live - the live view opens on the 100 newest stored matches, then continues live', async () => {
    await postRecords(hub, Array.from({ length: 150 }, (_, i) => rec('opening', 'INFO', `stored ${i}`)));
    const { context, page, problems } = await openSignedIn(browser, hub, '/ui/?view=live&service=opening');
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).length >= 100, { what: 'the stored records' });
    expect(await column(page, '#live-rows', 'msg')).toEqual(Array.from({ length: 100 }, (_, i) => `stored ${i + 50}`));
    await postRecords(hub, [rec('opening', 'INFO', 'then live')]);
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).includes('then live'), { what: 'the live record' });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('ui/live - service and severity filters show only matches, live, and the address holds them', async () => {
    await postRecords(hub, [rec('pay', 'INFO', 'seed'), rec('auth', 'INFO', 'seed')]);
    const { context, page } = await openSignedIn(browser, hub, '/ui/');
    await page.waitForFunction(() => [...document.querySelectorAll('#f-service option')].some((o) => (o as HTMLOptionElement).value === 'pay'));
    await page.selectOption('#f-service', 'pay');
    await page.selectOption('#f-severity', 'WARN+');
    await page.waitForURL(/severity=WARN%2B/);
    const url = new URL(page.url());
    expect(url.searchParams.get('service')).toBe('pay');
    expect(url.searchParams.get('severity')).toBe('WARN+');
    await page.waitForSelector('#live-status[data-state="live"]');
    await postRecords(hub, [
      rec('pay', 'INFO', 'f-no-info'), rec('auth', 'ERROR', 'f-no-other-service'), rec('pay', 'WARN', 'f-yes-warn'),
      rec('pay', 'DEBUG', 'f-no-debug'), rec('pay', 'FATAL', 'f-yes-fatal'), rec('pay', 'ERROR', 'f-yes-error'),
    ]);
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).length >= 3, { what: 'the matching records' });
    // A later record proves nothing else is still on its way.
    await postRecords(hub, [rec('auth', 'FATAL', 'f-no-later'), rec('pay', 'ERROR', 'f-yes-last')]);
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).includes('f-yes-last'), { what: 'the last record' });
    expect(await column(page, '#live-rows', 'msg')).toEqual(['f-yes-warn', 'f-yes-fatal', 'f-yes-error', 'f-yes-last']);
    expect(new Set(await column(page, '#live-rows', 'svc'))).toEqual(new Set(['pay']));
    await context.close();
  });

  it('ui/live - a shared address reloads the same view: filters set, text and regex applied', async () => {
    const shared = '/ui/?view=live&service=pay&severity=ERROR%2B&host=h2&q=TIMEOUT&regex=id%3D%5Cd%2B';
    const { context, page } = await openSignedIn(browser, hub, shared);
    await page.waitForSelector('#live-status[data-state="live"]');
    expect(await page.inputValue('#f-service')).toBe('pay');
    expect(await page.inputValue('#f-severity')).toBe('ERROR+');
    expect(await page.inputValue('#f-host')).toBe('h2');
    expect(await page.inputValue('#f-q')).toBe('TIMEOUT');
    expect(await page.inputValue('#f-regex')).toBe('id=\\d+');
    await postRecords(hub, [
      rec('pay', 'ERROR', 'upstream timeout id=1', 'h2'), rec('pay', 'ERROR', 'upstream timeout id=x', 'h2'), rec('pay', 'ERROR', 'timeout id=2', 'h1'),
      rec('pay', 'WARN', 'timeout id=3', 'h2'), rec('pay', 'FATAL', 'Timeout again id=4', 'h2'),
    ]);
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).length >= 2, { what: 'matches' });
    await postRecords(hub, [rec('pay', 'ERROR', 'final timeout id=9', 'h2')]);
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).includes('final timeout id=9'), { what: 'the last record' });
    expect(await column(page, '#live-rows', 'msg')).toEqual(['upstream timeout id=1', 'Timeout again id=4', 'final timeout id=9']);
    // The same address again in another tab (its own sign-in) gives the same view.
    const again = await openSignedIn(browser, hub, page.url());
    expect(new URL(again.page.url()).search).toBe(new URL(page.url()).search);
    await again.context.close();
    await context.close();
  });

  it('ui/live - scrolling up pauses and counts arrivals; jump to live, space and G resume; selecting text pauses', async () => {
    const { context, page } = await openSignedIn(browser, hub, '/ui/?view=live&service=scroll');
    await page.waitForSelector('#live-status[data-state="live"]');
    // Tall rows (stack traces) are measured only once on screen: the list moving by itself is not the reader scrolling.
    const trace = (i: number) => `Error: failed ${i}\n${Array.from({ length: 9 }, (_, k) => `    at f${k} (file${k}.js:${k}:1)`).join('\n')}`;
    await postRecords(hub, Array.from({ length: 60 }, (_, i) => rec('scroll', 'ERROR', trace(i))));
    await postRecords(hub, Array.from({ length: 90 }, (_, i) => rec('scroll', 'INFO', `line ${i}`)));
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).length === 150, { what: '150 rows' });
    await postRecords(hub, [rec('scroll', 'INFO', 'one more')]);
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).at(-1) === 'one more', { what: 'the next record' });
    expect(await page.isHidden('#paused')).toBe(true);
    expect(await page.$eval('#live-rows', (r) => r.scrollHeight - r.scrollTop - r.clientHeight)).toBeLessThan(40);
    await page.hover('#live-rows');
    await page.mouse.wheel(0, -600);
    await page.waitForSelector('#paused:not([hidden])');
    await postRecords(hub, Array.from({ length: 7 }, (_, i) => rec('scroll', 'INFO', `while paused ${i}`)));
    await page.waitForFunction(() => /7 new records since/.test(document.querySelector('#paused-text')?.textContent ?? ''));
    expect(await column(page, '#live-rows', 'msg')).not.toContain('while paused 0');
    await page.click('#jump-live');
    await page.waitForSelector('#paused', { state: 'hidden' });
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).at(-1) === 'while paused 6', { what: 'the records that came meanwhile' });
    expect(await page.$eval('#live-rows', (r) => r.scrollHeight - r.scrollTop - r.clientHeight)).toBeLessThan(40);

    await page.keyboard.press('Space');
    await page.waitForSelector('#paused:not([hidden])');
    expect(await page.textContent('#paused-text')).toContain('you pressed space');
    await page.keyboard.press('Shift+G');
    await page.waitForSelector('#paused', { state: 'hidden' });

    await page.evaluate(() => {
      const msg = document.querySelector('#live-rows .row .msg')!;
      const range = document.createRange();
      range.selectNodeContents(msg);
      document.getSelection()!.addRange(range);
    });
    await page.waitForSelector('#paused:not([hidden])');
    expect(await page.textContent('#paused-text')).toContain('selecting text');
    await page.keyboard.press('Space');
    await page.waitForSelector('#paused', { state: 'hidden' });
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-q');
    await context.close();
  });

  it('ui/live - markup and control characters in records show as text, never as HTML', async () => {
    const { context, page, problems } = await openSignedIn(browser, hub, '/ui/?view=live&service=xss');
    await page.waitForSelector('#live-status[data-state="live"]');
    const nasty = '<img src=x onerror=alert(1)>';
    await postRecords(hub, [
      { service: 'xss', severity: 'ERROR', message: nasty, host: '<b>host</b>', fields: { '<i>k</i>': '<script>alert(2)</script>' } },
      { service: 'xss', severity: 'INFO', message: 'red \u001b[31mtext\u001b[0m\r\nreversed \u202eabc\nError: boom\n    at f (a.js:1:2)\n    at g (b.js:3:4)' },
    ]);
    await waitFor(async () => (await column(page, '#live-rows', 'msg')).length === 2, { what: 'both records' });
    const [first, second] = await column(page, '#live-rows', 'msg');
    expect(first).toBe(nasty);
    expect(second).toBe('red \\e[31mtext\\e[0m\\r\nreversed \\u202eabc\nError: boom\n    at f (a.js:1:2)\n    at g (b.js:3:4)');
    expect(await column(page, '#live-rows', 'host')).toEqual(['<b>host</b>', '']);
    await page.click('#live-rows .row >> nth=0');
    await page.waitForSelector('#detail:not([hidden])');
    expect(await page.textContent('#detail-fields')).toContain('<script>alert(2)</script>');
    expect(await page.$$eval('img, script:not([src]), b, i', (els) => els.length)).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('ui/live - dropped and gap frames are shown as notices', async () => {
    const { context, page } = await openSignedIn(browser, hub, '/ui/?view=live&service=frames');
    await page.routeWebSocket(/\/v1\/tail/, (ws) => {
      ws.send(JSON.stringify({ type: 'records', records: [{ id: 'a1', timestamp: '2026-01-01T00:00:00.000Z', received_at: '2026-01-01T00:00:00.000Z', service: 'frames', severity: 'INFO', message: 'before' }] }));
      ws.send(JSON.stringify({ type: 'dropped', count: 1234 }));
      ws.send(JSON.stringify({ type: 'gap', reason: 'bus_outage', from: Date.parse('2026-01-01T00:00:01Z'), to: Date.parse('2026-01-01T00:00:09Z') }));
      ws.send(JSON.stringify({ type: 'heartbeat' }));
    });
    await page.reload();
    await page.waitForSelector('#live-rows .notice-gap');
    expect(await page.textContent('#live-rows .notice-dropped')).toContain('Dropped: 1,234 record(s)');
    expect(await page.textContent('#live-rows .notice-gap')).toContain('between 2026-01-01T00:00:01.000Z and 2026-01-01T00:00:09.000Z');
    expect(await column(page, '#live-rows', 'msg')).toEqual(['before']);
    await context.close();
  });

  it('ui/live - a bad regex is refused with the hub\'s reason, not retried', async () => {
    const { context, page } = await openSignedIn(browser, hub, '/ui/?view=live&regex=%28unclosed');
    await page.waitForSelector('#live-status[data-state="stopped"]');
    expect(await page.textContent('#live-rows .notice-error')).toMatch(/refused this live view: regex/);
    await context.close();
  });
});

describe('ui/live reconnect', () => {
  it('ui/live - reconnects by itself after the hub restarts, says so, and resumes with nothing missed or repeated', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const args = ['--port', String(port), '--data', dataDir];
    let proc: HubProcess | undefined = await spawnHub(args);
    const at = { url: proc.url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() };
    const { context, page } = await openSignedIn(browser, at, '/ui/?view=live&service=rc');
    try {
      await page.waitForSelector('#live-status[data-state="live"]');
      await postRecords(at, Array.from({ length: 5 }, (_, i) => rec('rc', 'INFO', `before ${i}`)));
      await waitFor(async () => (await column(page, '#live-rows', 'msg')).length === 5, { what: 'records before the restart' });
      await proc.stop();
      await page.waitForSelector('#live-rows .notice-reconnect');
      proc = await spawnHub(args);
      // Stored at once, most likely before the page is back: the replay from after= brings them.
      await postRecords(at, Array.from({ length: 5 }, (_, i) => rec('rc', 'INFO', `after ${i}`)));
      await waitFor(async () => (await column(page, '#live-rows', 'msg')).length >= 10, { timeoutMs: 15_000, what: 'records after the restart' });
      await page.waitForFunction(() => [...document.querySelectorAll('#live-rows .notice-reconnect')].some((n) => /Reconnected: resumed/.test(n.textContent ?? '')));
      await postRecords(at, [rec('rc', 'INFO', 'last')]);
      await waitFor(async () => (await column(page, '#live-rows', 'msg')).includes('last'), { what: 'the last record' });
      expect(await column(page, '#live-rows', 'msg')).toEqual([...Array.from({ length: 5 }, (_, i) => `before ${i}`), ...Array.from({ length: 5 }, (_, i) => `after ${i}`), 'last']);
      expect(await page.getAttribute('#live-status', 'data-state')).toBe('live');
    } finally {
      await context.close();
      await proc?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
