/**
 * tail-cli end to end: the real binary against a real hub (in-process for most cases, a spawned
 * hub process for the restart case). Records go in over POST /logs.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnHub, startTestHub, tempDir } from '../../helpers/hub.js';
import type { HubProcess, TestHub } from '../../helpers/hub.js';
import { waitFor } from '../../helpers/wait.js';
import { CLI_MAIN, expectOneLine, postLogs, spawnCli, spawnShell, watchProcess } from './cli.js';
import type { CliRun } from './cli.js';

const INGEST_ONLY = 'ingest-only-token';
let hub: TestHub;
const runs: CliRun[] = [];

function cli(args: string[], env: Record<string, string> = {}): CliRun {
  const run = spawnCli(['--hub', hub.url, ...args], { LOGWIRE_TOKEN: hub.token, ...env });
  runs.push(run);
  return run;
}

beforeAll(async () => {
  hub = await startTestHub({ tokens: [{ token: 'admin-token', scopes: ['admin'] }, { token: INGEST_ONLY, scopes: ['ingest'] }] });
  await postLogs(hub.url, hub.token, [
    { service: 'payments', severity: 'ERROR', message: 'card declined', host: 'web-1', file: '/var/log/pay.log', timestamp: '2025-04-01T12:00:00.000Z' },
    { service: 'payments', severity: 'INFO', message: 'charge ok', host: 'web-2', timestamp: '2025-04-01T12:00:01.000Z' },
    { service: 'auth', severity: 'WARN', message: 'slow login', host: 'web-1', timestamp: '2025-04-01T12:00:02.000Z' },
    { service: 'auth', severity: 'DEBUG', message: 'token refreshed', host: 'web-2', timestamp: '2025-04-01T12:00:03.000Z' },
    { service: 'payments', severity: 'FATAL', message: 'TypeError: x is undefined\n    at charge (pay.js:10:3)\n    at main (pay.js:1:1)', host: 'web-1', timestamp: '2025-04-01T12:00:04.000Z' },
  ]);
});

afterAll(async () => {
  await Promise.all(runs.map((r) => r.kill('SIGKILL')));
  await hub?.close();
});

async function finished(run: CliRun, timeoutMs = 15_000): Promise<number | null> {
  const r = await Promise.race([run.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`tail-cli did not exit in ${timeoutMs} ms; stderr: ${run.stderr()}`)), timeoutMs))]);
  return r.code;
}

describe('tail-cli against a real hub', () => {
  it('tail-cli - history with filters: service, severity X+, host, grep, regex', async () => {
    const cases: Array<[string[], string[]]> = [
      [['--service', 'payments'], ['card declined', 'charge ok', 'TypeError: x is undefined']],
      [['--severity', 'WARN+'], ['card declined', 'slow login', 'TypeError: x is undefined']],
      [['--service', 'auth,payments', '--severity', 'ERROR'], ['card declined']],
      [['--host', 'web-2'], ['charge ok', 'token refreshed']],
      [['--grep', 'LOGIN'], ['slow login']],
      [['--regex', '^(card|charge) '], ['card declined', 'charge ok']],
      [['--file', '/var/log/pay.log'], ['card declined']],
    ];
    for (const [args, expected] of cases) {
      const run = cli(['--no-follow', '--since', '2025-01-01', '-o', 'raw', ...args]);
      expect(await finished(run), `${args.join(' ')}: ${run.stderr()}`).toBe(0);
      expect(run.lines().filter((l) => !l.startsWith('    at ')), args.join(' ')).toEqual(expected);
      expect(run.stderr()).toBe('');
    }
  });

  it('tail-cli - reads LOGWIRE_* environment variables, and flags win over them', async () => {
    const env = { LOGWIRE_HUB: hub.url, LOGWIRE_TOKEN: hub.token, LOGWIRE_OUTPUT: 'json', LOGWIRE_NO_FOLLOW: '1', LOGWIRE_SERVICE: 'auth', LOGWIRE_SINCE: '2025-01-01' };
    const fromEnv = spawnCli([], env);
    runs.push(fromEnv);
    expect(await finished(fromEnv), fromEnv.stderr()).toBe(0);
    expect(fromEnv.lines().map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['slow login', 'token refreshed']);
    const flagsWin = spawnCli(['-o', 'raw', '--service', 'payments', '--severity', 'ERROR'], env);
    runs.push(flagsWin);
    expect(await finished(flagsWin), flagsWin.stderr()).toBe(0);
    expect(flagsWin.lines()).toEqual(['card declined']);
  });

  it('tail-cli - --limit keeps the newest N, oldest first', async () => {
    const run = cli(['--no-follow', '--limit', '2', '-o', 'raw', '--service', 'payments']);
    expect(await finished(run)).toBe(0);
    expect(run.lines()[0]).toBe('charge ok');
    expect(run.lines()[1]).toBe('TypeError: x is undefined');
  });

  it('tail-cli - json output is NDJSON in the HTTP record shape', async () => {
    const run = cli(['--no-follow', '--since', '2025-01-01', '-o', 'json', '--service', 'payments']);
    expect(await finished(run)).toBe(0);
    const records = run.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.message)).toEqual(['card declined', 'charge ok', 'TypeError: x is undefined\n    at charge (pay.js:10:3)\n    at main (pay.js:1:1)']);
    expect(records[0]).toMatchObject({ service: 'payments', severity: 'ERROR', host: 'web-1', file: '/var/log/pay.log', timestamp: '2025-04-01T12:00:00.000Z' });
    expect(typeof records[0].id).toBe('string');
    expect(typeof records[0].received_at).toBe('string');
  });

  it('tail-cli - pretty output without a TTY has no colour, and keeps stack traces readable', async () => {
    const run = cli(['--no-follow', '--since', '2025-01-01', '--service', 'payments', '--severity', 'FATAL']);
    expect(await finished(run)).toBe(0);
    expect(run.stdout()).toBe([
      '2025-04-01T12:00:04.000Z web-1 payments FATAL TypeError: x is undefined',
      '  │     at charge (pay.js:10:3)',
      '  │     at main (pay.js:1:1)',
      '',
    ].join('\n'));
  });

  it('tail-cli - pretty output on a TTY is coloured, unless --no-color or NO_COLOR', async () => {
    // `script` (util-linux/bsdutils) gives the child a pseudo-terminal.
    const base = `${process.execPath} ${CLI_MAIN} --hub ${hub.url} --no-follow --since 2025-01-01 --service payments --severity ERROR`;
    const onTty = async (cmd: string, env: Record<string, string> = {}): Promise<string> => {
      // Async on purpose: the hub runs in this process and must keep answering.
      const run = watchProcess(spawn('script', ['-qec', cmd, '/dev/null'], { env: { PATH: process.env.PATH, TERM: 'xterm', LOGWIRE_TOKEN: hub.token, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
      runs.push(run);
      expect(await finished(run), run.stderr()).toBe(0);
      return run.stdout();
    };
    expect(await onTty(base)).toContain('\x1b[31mERROR');
    expect(await onTty(`${base} --no-color`)).not.toContain('\x1b[');
    expect(await onTty(base, { NO_COLOR: '1' })).not.toContain('\x1b[');
  });

  it('tail-cli - live tail prints only matching records as they arrive', async () => {
    const run = cli(['-o', 'raw', '--service', 'live-a', '--severity', 'WARN+']);
    // The first record proves the tail is open; nothing is sent before that matters.
    await waitFor(async () => {
      await postLogs(hub.url, hub.token, [{ service: 'live-a', severity: 'ERROR', message: 'probe' }]);
      return run.lines().length > 0;
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'live tail open' });
    await postLogs(hub.url, hub.token, [
      { service: 'live-a', severity: 'INFO', message: 'too quiet' },
      { service: 'live-b', severity: 'ERROR', message: 'other service' },
      { service: 'live-a', severity: 'WARN', message: 'wanted 1' },
      { service: 'live-a', severity: 'FATAL', message: 'wanted 2' },
    ]);
    // Probes still in flight may print after the readiness check; they are not under test.
    const wanted = () => run.lines().filter((l) => l !== 'probe');
    await waitFor(() => wanted().length >= 2, { what: 'two wanted lines' });
    expect(wanted()).toEqual(['wanted 1', 'wanted 2']);
    const code = (await run.kill('SIGINT')).code;
    expect(code).toBe(0);
    expect(run.stderr()).toBe('');
  });

  it('tail-cli - --since hands history over to live under ingest: nothing missed, nothing repeated', async () => {
    const service = 'handoff';
    let sent = 0;
    let run: CliRun | undefined;
    let sentAtFirstLine = -1;
    // Ingest runs before, during and after the CLI's history query and tail upgrade.
    while (sentAtFirstLine < 0 || sent < sentAtFirstLine + 200) {
      const batch = Array.from({ length: 5 }, () => ({ service, message: `seq ${sent++}` }));
      await postLogs(hub.url, hub.token, batch);
      if (sent === 100) run = cli(['--since', '10m', '--service', service, '-o', 'raw']);
      if (run && sentAtFirstLine < 0 && run.lines().length > 0) sentAtFirstLine = sent;
      if (sent > 20_000) throw new Error(`tail-cli printed nothing; stderr: ${run?.stderr()}`);
    }
    const lines = await run!.waitLines(sent, 20_000);
    const expected = Array.from({ length: sent }, (_, i) => `seq ${i}`);
    const firstDiff = lines.findIndex((l, i) => l !== expected[i]);
    expect(firstDiff, `first difference at ${firstDiff}: ${lines.slice(Math.max(0, firstDiff - 3), firstDiff + 5).join(', ')} (first line at ${sentAtFirstLine} sent)`).toBe(-1);
    expect(lines).toEqual(Array.from({ length: sent }, (_, i) => `seq ${i}`));
    expect((await run!.kill('SIGINT')).code).toBe(0);
    expect(run!.lines().length).toBe(sent);
    expect(run!.stderr()).toBe('');
  });

  it('tail-cli - a reader too slow for the stream is told on stderr how many records the hub dropped', async () => {
    const run = cli(['-o', 'raw', '--service', 'slow']);
    await waitFor(async () => {
      await postLogs(hub.url, hub.token, [{ service: 'slow', message: 'probe' }]);
      return run.lines().length > 0;
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'live tail open' });
    // Stop reading tail-cli's stdout: its pipe fills, its writes block, the hub's socket buffer grows.
    run.proc.stdout!.pause();
    const body = 'x'.repeat(2000);
    for (let i = 0; i < 20 && !/dropped/.test(run.stderr()); i++) {
      await postLogs(hub.url, hub.token, Array.from({ length: 1000 }, (_, k) => ({ service: 'slow', message: `${i}-${k} ${body}` })));
    }
    run.proc.stdout!.resume();
    await run.waitStderr(/the hub dropped \d+ records? because this client fell behind/, 20_000);
    expect((await run.kill('SIGINT')).code).toBe(0);
  });

  it('tail-cli - | head -n 3 exits promptly without an EPIPE trace', async () => {
    const records = Array.from({ length: 2000 }, (_, i) => ({ service: 'headsvc', message: `line ${i} ${'x'.repeat(80)}` }));
    await postLogs(hub.url, hub.token, records);
    for (const follow of [['--no-follow'], []]) {
      const run = spawnShell(`set -o pipefail; ${process.execPath} ${CLI_MAIN} --hub ${hub.url} --since 1h --service headsvc -o raw ${follow.join(' ')} | head -n 3`, { LOGWIRE_TOKEN: hub.token });
      runs.push(run);
      expect(await finished(run, 10_000), run.stderr()).toBe(0);
      expect(run.lines().length).toBe(3);
      expect(run.stderr()).toBe('');
    }
  });

  it('tail-cli - a bad token is one line and a non-zero exit (401 on HTTP and on the upgrade)', async () => {
    for (const args of [['--no-follow'], []]) {
      const run = cli(args, { LOGWIRE_TOKEN: 'not-a-token' });
      expect(await finished(run)).toBe(1);
      expect(expectOneLine(run.stderr())).toMatch(/refused the token \(401/);
    }
    const forbidden = cli(['--no-follow'], { LOGWIRE_TOKEN: INGEST_ONLY });
    expect(await finished(forbidden)).toBe(1);
    expect(expectOneLine(forbidden.stderr())).toMatch(/403/);
  });

  it('tail-cli - an unreachable hub is one line and a non-zero exit', async () => {
    const port = await freePort();
    const run = spawnCli(['--hub', `http://127.0.0.1:${port}`, '--token', 'x']);
    runs.push(run);
    expect(await finished(run)).toBe(1);
    expect(expectOneLine(run.stderr())).toMatch(/cannot reach the hub at http:\/\/127\.0\.0\.1:\d+: connection refused/);
  });

  it('tail-cli - a regex RE2 cannot run is one line and exit 2, checked with the hub\'s own rules', async () => {
    for (const follow of [['--no-follow'], []]) {
      const run = cli([...follow, '--regex', 'x(?=y)']);
      expect(await finished(run)).toBe(2);
      expect(expectOneLine(run.stderr())).toMatch(/--regex "x\(\?=y\)": regex uses lookahead/);
    }
    const syntax = cli(['--regex', '(unclosed']);
    expect(await finished(syntax)).toBe(2);
    expect(expectOneLine(syntax.stderr())).toMatch(/--regex "\(unclosed": invalid regex: missing closing \)/);
    const linear = cli(['--no-follow', '--regex', '(a|a)*b$']);
    expect(await finished(linear)).toBe(0);
  });

  it('tail-cli - a bad time, severity or flag is one line and exit 2', async () => {
    for (const [args, re] of [
      [['--since', 'last tuesday'], /--since "last tuesday" is not a time/],
      [['--severity', 'LOUD'], /--severity "LOUD" is not a level/],
      [['--limit', '-3'], /--limit/],
      [['--bogus'], /Unknown argument: bogus/],
    ] as Array<[string[], RegExp]>) {
      const run = cli(args);
      expect(await finished(run)).toBe(2);
      expect(expectOneLine(run.stderr())).toMatch(re);
    }
  });

  it('tail-cli - --help lists every flag and exits 0', async () => {
    const run = spawnCli(['--help']);
    runs.push(run);
    expect(await finished(run)).toBe(0);
    for (const flag of ['--hub', '--token', '--service', '--severity', '--host', '--file', '--grep', '--regex', '--since', '--no-follow', '--limit', '--output', '--no-color', 'LOGWIRE_']) {
      expect(run.stdout()).toContain(flag.replace('--no-', '--'));
    }
  });

  it('tail-cli - finds the local hub\'s generated token in <data>/admin.token', async () => {
    const local = await startTestHub();
    try {
      await postLogs(local.url, local.token, [{ service: 'tok', message: 'found it' }]);
      const run = spawnCli(['--hub', local.url, '--data', local.dataDir, '--no-follow', '--limit', '1', '-o', 'raw']);
      runs.push(run);
      expect(await finished(run), run.stderr()).toBe(0);
      expect(run.lines()).toEqual(['found it']);
    } finally {
      await local.close();
    }
  });
});

describe('tail-cli across a hub restart', () => {
  let proc: HubProcess | undefined;
  afterAll(async () => {
    await proc?.kill();
  });

  it('tail-cli - reconnects after the hub is killed and restarted: nothing missed, nothing repeated, a note on stderr', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const args = ['--port', String(port), '--host', '127.0.0.1', '--data', dataDir];
    proc = await spawnHub(args);
    const url = proc.url;
    const { readFileSync } = await import('node:fs');
    const token = readFileSync(`${dataDir}/admin.token`, 'utf8').trim();
    const run = spawnCli(['--hub', url, '--data', dataDir, '-o', 'raw', '--service', 'restart']);
    runs.push(run);
    let n = 0;
    const post = (k: number) => postLogs(url, token, Array.from({ length: k }, () => ({ service: 'restart', message: `r ${n++}` })));
    // Probes prove the tail is open; ones still in flight may print late, so they are filtered out.
    await waitFor(async () => {
      await postLogs(url, token, [{ service: 'restart', message: 'probe' }]);
      return run.lines().length > 0;
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'live tail open' });
    const counted = () => run.lines().filter((l) => l !== 'probe');
    const waitCounted = (k: number, timeoutMs = 10_000) => waitFor(() => (counted().length >= k ? counted() : undefined), { timeoutMs, what: `${k} lines (stderr: ${run.stderr()})` });
    await post(20);
    await waitCounted(n);
    // Once killed (no close frame), once stopped cleanly (close 1001 "going away").
    for (const [round, end] of [[1, () => proc!.kill()], [2, () => proc!.stop()]] as const) {
      await end();
      await waitFor(() => (run.stderr().match(/lost the live tail/g) ?? []).length === round, { what: `lost notice ${round}; stderr: ${run.stderr()}` });
      proc = await spawnHub(args);
      await post(20); // stored while tail-cli is still away: must be replayed, once
      await waitFor(() => (run.stderr().match(/reconnected to the hub; resuming after record/g) ?? []).length === round, { timeoutMs: 15_000, what: `reconnect notice ${round}; stderr: ${run.stderr()}` });
      await post(20);
      const got = await waitCounted(n, 15_000);
      expect(got.length, `round ${round}: stderr: ${run.stderr()}\nlines: ${got.join(', ')}`).toBe(n);
    }
    const lines = await waitCounted(n, 15_000);
    const diag = `stderr: ${run.stderr()}\nlines: ${lines.join(', ')}`;
    expect(lines, diag).toEqual(Array.from({ length: n }, (_, i) => `r ${i}`));
    expect((await run.kill('SIGINT')).code, diag).toBe(0);
    expect(counted().length, diag).toBe(n);
  });
});
