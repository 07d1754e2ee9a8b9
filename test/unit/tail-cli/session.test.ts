import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../tail-cli/config.js';
import type { CliArgs } from '../../../tail-cli/config.js';
import { CliError } from '../../../tail-cli/errors.js';
import { startSession } from '../../../tail-cli/run.js';
import type { Session } from '../../../tail-cli/run.js';
import { waitFor } from '../../helpers/wait.js';
import { makeRecord, startFakeHub } from './fake-hub.js';
import type { FakeHub } from './fake-hub.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function hub(records = [] as ReturnType<typeof makeRecord>[], port?: number): Promise<FakeHub> {
  const h = await startFakeHub({ records: records.slice(), ...(port ? { port } : {}) });
  cleanups.push(() => h.close());
  return h;
}

function session(h: { url: string; token: string }, args: CliArgs, live: { idleTimeoutMs?: number; pingTimeoutMs?: number } = {}): { s: Session; lines: () => string[]; notices: string[] } {
  const cfg = buildConfig({ hub: h.url, token: h.token, output: 'raw', ...args }, { env: {}, isTTY: false });
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => { text += d.toString(); });
  const notices: string[] = [];
  const s = startSession(cfg, { stdout, notice: (l) => notices.push(l), live: { backoffInitialMs: 20, backoffMaxMs: 100, idleTimeoutMs: 2000, ...live } });
  cleanups.push(() => s.stop());
  s.done.catch(() => undefined);
  return { s, lines: () => text.split('\n').filter((l) => l !== ''), notices };
}

describe('tail-cli session', () => {
  it('session - --no-follow pages through all history oldest first, then ends', async () => {
    const records = Array.from({ length: 2500 }, () => makeRecord());
    const h = await hub(records);
    const { s, lines } = session(h, { follow: false });
    await s.done;
    expect(lines()).toEqual(records.map((r) => r.message));
    expect(h.logUrls.length).toBe(3);
    expect(h.tailUrls.length).toBe(0);
  });

  it('session - --limit keeps the newest N, printed oldest first', async () => {
    const records = Array.from({ length: 30 }, () => makeRecord());
    const h = await hub(records);
    const { s, lines } = session(h, { follow: false, limit: '5' });
    await s.done;
    expect(lines()).toEqual(records.slice(-5).map((r) => r.message));
    expect(h.logUrls[0].searchParams.get('order')).toBe('desc');
  });

  it('session - --since hands history over to the live tail after the last id printed', async () => {
    const records = Array.from({ length: 3 }, () => makeRecord());
    const h = await hub(records);
    const { lines } = session(h, { since: '1h', service: ['svc'] });
    await waitFor(() => h.clients() === 1, { what: 'live tail connected' });
    const tailUrl = h.tailUrls[0];
    expect(tailUrl.searchParams.get('after')).toBe(records[2].id);
    expect(tailUrl.searchParams.get('service')).toBe('svc');
    expect(tailUrl.searchParams.get('format')).toBe('msgpack');
    expect(h.logUrls.some((u) => u.searchParams.get('from') !== null)).toBe(true);
    const more = h.append({}, {});
    await waitFor(() => lines().length === 5, { what: '5 lines' });
    expect(lines()).toEqual([...records, ...more].map((r) => r.message));
  });

  it('session - live mode starts after the newest stored record so a drop before any record loses nothing', async () => {
    const old = makeRecord();
    const h = await hub([old]);
    const { lines, notices } = session(h, {});
    await waitFor(() => h.clients() === 1, { what: 'connected' });
    expect(h.tailUrls[0].searchParams.get('after')).toBe(old.id);
    h.dropConnections();
    const during = h.append({ message: 'while away' });
    await waitFor(() => lines().length === 1, { what: 'replayed line' });
    expect(lines()).toEqual([during[0].message]);
    await waitFor(() => notices.some((n) => n.startsWith('reconnected')), { what: 'reconnect notice' });
  });

  it('session - with an empty store, records stored while the tail opens are caught up once', async () => {
    const h = await hub();
    let window: ReturnType<typeof makeRecord>[] = [];
    h.beforeNextUpgrade(() => {
      window = h.append({ message: 'in the window 1' }, { message: 'in the window 2' });
    });
    const { lines } = session(h, {});
    await waitFor(() => h.clients() === 1, { what: 'connected' });
    expect(h.tailUrls[0].searchParams.get('after')).toBeNull();
    await waitFor(() => lines().length === 2, { what: 'caught-up lines' });
    const live = h.append({ message: 'live' });
    await waitFor(() => lines().length === 3, { what: 'live line' });
    expect(lines()).toEqual([...window, ...live].map((r) => r.message));
  });

  it('session - reconnects after the hub goes away and comes back, resuming after the last id', async () => {
    const h1 = await startFakeHub();
    const { lines, notices } = session(h1, {});
    await waitFor(() => h1.clients() === 1, { what: 'connected' });
    const first = h1.append({}, {});
    await waitFor(() => lines().length === 2, { what: 'first lines' });
    const kept = h1.records.slice();
    await h1.close();
    await waitFor(() => notices.some((n) => n.startsWith('lost the live tail')), { what: 'lost notice' });
    const h2 = await hub(kept, h1.port);
    const more = h2.append({}, {}, {});
    await waitFor(() => h2.clients() === 1, { what: 'reconnected', timeoutMs: 5000 });
    h2.append({ message: 'live again' });
    await waitFor(() => lines().length === 6, { what: 'all lines' });
    expect(lines()).toEqual([...first.map((r) => r.message), ...more.map((r) => r.message), 'live again']);
    expect(h2.tailUrls[0].searchParams.get('after')).toBe(first[1].id);
    expect(notices.filter((n) => n.startsWith('reconnected'))).toEqual([`reconnected to the hub; resuming after record ${first[1].id}`]);
  });

  it('session - a record the hub sends again after the handoff is printed once', async () => {
    const records = Array.from({ length: 3 }, () => makeRecord());
    const h = await startFakeHub({ records: records.slice(), replayFromAfterInclusive: true });
    cleanups.push(() => h.close());
    const { lines } = session(h, { since: '1h' });
    await waitFor(() => h.clients() === 1, { what: 'connected' });
    const more = h.append({});
    await waitFor(() => lines().length >= 4, { what: '4 lines' });
    expect(lines()).toEqual([...records, ...more].map((r) => r.message));
  });

  it('session - a silent hub that answers pings is kept; one that does not is left and retried', async () => {
    const alive = await hub([makeRecord()]);
    const a = session(alive, {}, { idleTimeoutMs: 50, pingTimeoutMs: 100 });
    await waitFor(() => alive.clients() === 1, { what: 'connected' });
    const dead = await startFakeHub({ records: [makeRecord()], answerPings: false });
    cleanups.push(() => dead.close());
    const d = session(dead, {}, { idleTimeoutMs: 50, pingTimeoutMs: 100 });
    await waitFor(() => dead.tailUrls.length >= 2, { what: 'a second connection to the dead hub' });
    expect(d.notices[0]).toMatch(/^lost the live tail \(nothing from the hub for/);
    expect(alive.tailUrls.length).toBe(1);
    expect(a.notices).toEqual([]);
  });

  it('session - dropped frames are reported with running totals', async () => {
    const h = await hub();
    const { notices } = session(h, {});
    await waitFor(() => h.clients() === 1, { what: 'connected' });
    h.sendDropped(3);
    h.sendDropped(1);
    await waitFor(() => notices.length === 2, { what: 'two notices' });
    expect(notices[0]).toMatch(/dropped 3 records .*\(3 dropped so far\)/);
    expect(notices[1]).toMatch(/dropped 1 record .*\(4 dropped so far\)/);
  });

  it('session - a 1008 close (bad regex) ends the tail with the hub\'s reason', async () => {
    const h = await hub([makeRecord()]);
    const { s } = session(h, { regex: '(a+)+' });
    const err = await s.done.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/1008.*regex rejected/);
  });

  it('session - history errors name the parameter; a bad token is a 401 line', async () => {
    const h = await hub();
    const bad = session(h, { regex: '(a+)+', follow: false });
    await expect(bad.s.done).rejects.toThrow(/rejected the history query: regex: regex rejected/);
    const tok = session({ url: h.url, token: 'wrong' }, {});
    await expect(tok.s.done).rejects.toThrow(/refused the token \(401/);
  });

  it('session - an unreachable hub is one clear error', async () => {
    const h = await startFakeHub();
    await h.close();
    const { s } = session(h, {});
    await expect(s.done).rejects.toThrow(/cannot reach the hub at http:\/\/127\.0\.0\.1:\d+: connection refused/);
  });
});
