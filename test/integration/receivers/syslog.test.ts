import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { waitFor } from '../../helpers/wait.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestHub } from '../../helpers/hub.js';
import { freePort } from '../../helpers/hub.js';
import { RECEIVER_TOKEN, getLogs, waitForMetric, startReceiverHub, waitForLogs } from '../../helpers/receivers.js';

let hub: TestHub | undefined;
let rsyslog: ChildProcess | undefined;
const dirs: string[] = [];
afterEach(async () => {
  if (rsyslog && rsyslog.exitCode === null) {
    const exited = new Promise((r) => rsyslog!.once('exit', r));
    rsyslog.kill('SIGTERM');
    await exited;
  }
  rsyslog = undefined;
  await hub?.close();
  hub = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const logger = (args: string[]) => execFileSync('logger', ['--server', '127.0.0.1', ...args], { timeout: 10_000 });

describe('syslog receiver', () => {
  it('syslog receiver - util-linux logger over TCP (octet-counted and newline) and UDP, RFC 5424 and 3164', async () => {
    hub = await startReceiverHub({ syslogTcp: 0, syslogUdp: 0 });
    const tcp = String(hub.hub.receiverPorts['syslog-tcp']);
    const udp = String(hub.hub.receiverPorts['syslog-udp']);
    const before = Date.now() - 1000;
    logger(['--port', tcp, '--tcp', '--octet-count', '--rfc5424', '-t', 'billing', '--id=4242', '--msgid', 'INV1', '--sd-id', 'order@32473', '--sd-param', 'id="17"', '--sd-param', 'note="say \\"hi\\""', '-p', 'local3.err', 'invoice failed']);
    logger(['--port', tcp, '--tcp', '--rfc5424', '-t', 'billing', '-p', 'user.warning', 'newline framed']);
    logger(['--port', udp, '--udp', '--rfc5424', '-t', 'billing', '-p', 'daemon.debug', 'over udp']);
    logger(['--port', tcp, '--tcp', '--rfc3164', '-t', 'cron', '-p', 'cron.notice', 'old style tcp']);
    logger(['--port', udp, '--udp', '--rfc3164', '-t', 'cron', '-p', 'cron.crit', 'old style udp']);
    const billing = await waitForLogs(hub, 3, { service: 'billing' });
    const after = Date.now() + 1000;
    const byMsg = Object.fromEntries(billing.map((l) => [l.message, l]));
    expect(byMsg['invoice failed']).toMatchObject({ severity: 'ERROR', fields: { facility: 'local3', pid: '4242', msgid: 'INV1', 'order@32473': { id: '17', note: 'say "hi"' } } });
    expect(byMsg['newline framed']).toMatchObject({ severity: 'WARN', fields: { facility: 'user' } });
    expect(byMsg['over udp']).toMatchObject({ severity: 'DEBUG', fields: { facility: 'daemon' } });
    for (const l of billing) {
      expect(l.host).toBeTruthy();
      expect(Date.parse(l.timestamp)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(l.timestamp)).toBeLessThanOrEqual(after);
    }
    const cron = await waitForLogs(hub, 2, { service: 'cron' });
    expect(cron.map((l) => [l.message, l.severity]).sort()).toEqual([['old style tcp', 'INFO'], ['old style udp', 'FATAL']]);
    // RFC 3164 has second resolution and no year: this year, UTC.
    for (const l of cron) expect(Math.abs(Date.parse(l.timestamp) - Date.now())).toBeLessThan(10_000);
    expect(await waitForMetric(hub, 'logwire_receiver_stored_records_total', { protocol: 'syslog' }, 5)).toBe(5);
  });

  it('syslog receiver - our own rsyslogd forwards with omfwd (octet-counted RFC 5424) and omelasticsearch; event time to the ms', async () => {
    hub = await startReceiverHub({ syslogTcp: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'logwire-rsyslog-'));
    dirs.push(dir);
    const inPort = await freePort();
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(conf, `
global(workDirectory="${dir}")
module(load="imudp")
module(load="omelasticsearch")
input(type="imudp" address="127.0.0.1" port="${inPort}")
template(name="esdoc" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="service" name="programname" format="jsonf")
  property(outname="severity" name="syslogseverity-text" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
}
action(type="omfwd" target="127.0.0.1" port="${hub.hub.receiverPorts['syslog-tcp']}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
action(type="omelasticsearch" server="127.0.0.1" serverport="${hub.port}" searchIndex="rsyslog" template="esdoc" bulkmode="on" uid="rsyslog" pwd="${RECEIVER_TOKEN}")
`);
    rsyslog = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    rsyslog.stderr!.on('data', (d) => { stderr += d; });
    const send = (line: string) => new Promise<void>((resolve, reject) => {
      const s = createSocket('udp4');
      s.send(line, inPort, '127.0.0.1', (err) => { s.close(); if (err) reject(err); else resolve(); });
    });
    const sent = '2026-01-01T10:20:30.456Z';
    // rsyslog needs a moment to bind its UDP input: resend until the record shows up.
    const seen = waitForLogs(hub, 2, { service: 'payments' }, 20_000);
    const timer = setInterval(() => void send(`<11>1 2026-01-01T10:20:30.456789+00:00 edge-1 payments 99 - - card declined`), 300);
    let logs;
    try {
      logs = await seen;
    } catch (err) {
      throw new Error(`${(err as Error).message}; rsyslogd stderr: ${stderr}`);
    } finally {
      clearInterval(timer);
    }
    const viaSyslog = logs.find((l) => l.fields?.facility !== undefined)!;
    const viaEs = logs.find((l) => l.fields?.facility === undefined)!;
    expect(viaSyslog).toMatchObject({ message: 'card declined', severity: 'ERROR', host: 'edge-1', timestamp: sent, fields: { facility: 'user', pid: '99' } });
    expect(viaEs).toMatchObject({ message: 'card declined', severity: 'ERROR', host: 'edge-1', timestamp: sent });
  });

  it('syslog receiver - TCP speaks TLS when the hub has --tls-cert/--tls-key (RFC 5425)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logwire-syslog-tls-'));
    dirs.push(dir);
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    hub = await startReceiverHub({ syslogTcp: 0, tlsCert: cert, tlsKey: key });
    const msg = '<12>1 2026-01-01T00:00:00.789Z tls-host secure - - - over tls\n';
    await new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: hub!.hub.receiverPorts['syslog-tcp'], ca: readFileSync(cert) }, () => s.end(`${Buffer.byteLength(msg)} ${msg}`, () => resolve()));
      s.on('error', reject);
    });
    const stored = await waitFor(() => {
      const recs = [...hub!.hub.ctx.store.query({}, { order: 'asc' })];
      return recs.length > 0 ? recs : undefined;
    }, { what: 'the record sent over TLS' });
    expect(stored).toMatchObject([{ service: 'secure', host: 'tls-host', severity: 'WARN', message: 'over tls', ts: Date.parse('2026-01-01T00:00:00.789Z') }]);
  });

  it('syslog receiver - bad framing and a frame that never ends close that connection only; hub stays healthy', async () => {
    hub = await startReceiverHub({ syslogTcp: 0, maxBodyBytes: 4096 });
    const port = hub.hub.receiverPorts['syslog-tcp'];
    const closedAfter = (bytes: Buffer) => new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write(bytes));
      s.on('error', () => undefined);
      s.on('close', () => resolve());
      setTimeout(() => reject(new Error('connection was not closed')), 5_000).unref();
    });
    await closedAfter(Buffer.from('12 <13>1 - - - - - hi\n99999999 <13>x')); // second frame's length over the limit
    await closedAfter(Buffer.from('5 <13>x' + '\n' + 'abc def')); // octet counting, then not a length
    await closedAfter(Buffer.alloc(8192, 0x41)); // newline framing, no newline within the limit
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
    expect(await waitForMetric(hub, 'logwire_receiver_rejected_records_total', { protocol: 'syslog', reason: 'bad_frame' }, 3)).toBe(3);
    // Invalid UTF-8 is stored with replacement characters, not refused.
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.end(Buffer.concat([Buffer.from('<14>1 - h app - - - bad '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]), () => resolve()));
    });
    const [rec] = await waitForLogs(hub, 1, { service: 'app' });
    expect(rec.message).toBe('bad \uFFFD\uFFFD');
    // Complete frames before a framing error are stored: "hi" and "<13>x", plus the UTF-8 one.
    expect((await getLogs(hub)).length).toBe(3);
  });
});
