/**
 * The hub authenticates to NATS with the §7 flags (user/password, token, TLS with a CA and a
 * client certificate) and never prints a credential: private nats-servers started with auth
 * and TLS (throwaway certificates made with openssl), real hubs in this process and as the
 * real binary (whose logs, /health and /metrics are searched for the secrets).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HubConfigInput } from '../../../hub/config.js';
import { spawnHub, startTestHub, tempDir, writeTokensFile } from '../../helpers/hub.js';
import { startNats, type TestNats } from '../../helpers/nats.js';
import { waitFor } from '../../helpers/wait.js';
import { postLogs } from '../live/tail-client.js';

const TOKEN = 'admin-token-nats-auth-01';
const PASSWORD = 'pw-S3cret-never-printed';
const NATS_TOKEN = 'tok-S3cret-never-printed';

type BusHealth = { ok: boolean; error?: string; server?: string };
async function busHealth(url: string): Promise<{ text: string; bus: BusHealth }> {
  const text = await (await fetch(`${url}/health`)).text();
  return { text, bus: (JSON.parse(text) as { bus: BusHealth }).bus };
}

/** An in-process hub on `nats` with these settings; resolves once its bus is ok (or not). */
async function hubState(config: HubConfigInput, want: 'ok' | 'refused'): Promise<{ text: string; bus: BusHealth }> {
  const hub = await startTestHub({ tokens: [{ token: TOKEN, scopes: ['admin'] }], config });
  try {
    return await waitFor(async () => {
      const h = await busHealth(hub.url);
      // Refused: not connected, and an attempt has failed (not merely still connecting).
      return (want === 'ok' ? h.bus.ok : !h.bus.ok && h.bus.error !== undefined && !h.bus.error.endsWith('connecting')) ? h : undefined;
    }, { what: `the bus to be ${want}` });
  } finally {
    await hub.close();
  }
}

describe('bus - NATS user/password and token', () => {
  let userNats: TestNats;
  let tokenNats: TestNats;
  beforeAll(async () => {
    [userNats, tokenNats] = await Promise.all([startNats({ args: ['--user', 'hubuser', '--pass', PASSWORD] }), startNats({ args: ['--auth', NATS_TOKEN] })]);
  });
  afterAll(async () => {
    await Promise.all([userNats?.close(), tokenNats?.close()]);
  });

  it('bus - --nats-user/--nats-password and --nats-token connect; without them NATS refuses and /health says so', async () => {
    await hubState({ nats: userNats.url, natsUser: 'hubuser', natsPassword: PASSWORD }, 'ok');
    await hubState({ nats: tokenNats.url, natsToken: NATS_TOKEN }, 'ok');
    const refused = await hubState({ nats: userNats.url }, 'refused');
    expect(refused.bus.error).toMatch(/refused our credentials/);
    await hubState({ nats: tokenNats.url, natsToken: 'wrong' }, 'refused');
  });

  it('bus - credentials in the URL are used, and shown nowhere: /health prints nats://***@host:port', async () => {
    const inUrl = userNats.url.replace('nats://', `nats://hubuser:${PASSWORD}@`);
    await hubState({ nats: inUrl }, 'ok');
    const wrong = userNats.url.replace('nats://', 'nats://hubuser:wrong-pw-LEAK@');
    const h = await hubState({ nats: wrong }, 'refused');
    expect(h.bus.error).toContain(`nats://***@127.0.0.1:${userNats.port}`);
    expect(h.text).not.toContain('wrong-pw-LEAK');
    expect(h.text).not.toContain('hubuser');
  });

  it('bus - the real binary reads LOGWIRE_NATS_* and never prints a credential in logs, /health, /metrics or errors', async () => {
    const dir = tempDir();
    const tokens = writeTokensFile(dir, [{ token: TOKEN, scopes: ['admin'] }]);
    const args = ['--port', '0', '--data', join(dir, 'data'), '--tokens', tokens];
    const good = await spawnHub([...args, '--nats', userNats.url], { LOGWIRE_NATS_USER: 'hubuser', LOGWIRE_NATS_PASSWORD: PASSWORD, LOGWIRE_CLUSTER_SECRET: 'a-cluster-secret-long-enough' });
    try {
      await waitFor(async () => (await busHealth(good.url)).bus.ok, { what: 'the env credentials to work' });
      await postLogs(good.url, TOKEN, [{ service: 'auth', message: 'hello' }]);
    } finally {
      await good.stop();
    }
    const bad = await spawnHub([...args, '--nats', userNats.url.replace('nats://', `nats://hubuser:${PASSWORD}-LEAK@`)]);
    try {
      const h = await waitFor(async () => { const x = await busHealth(bad.url); return !x.bus.ok && /credentials/.test(x.bus.error ?? '') ? x : undefined; }, { what: 'NATS to refuse' });
      const metrics = await (await fetch(`${bad.url}/metrics`)).text();
      await waitFor(() => /NATS/.test(bad.stderr()), { what: 'the warning in the log' });
      for (const text of [h.text, metrics, bad.stderr()]) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain('hubuser');
      }
      expect(bad.stderr()).toContain('nats://***@127.0.0.1');
    } finally {
      await bad.stop();
    }
    // A startup error is one line naming the flag, not the secret (the other cases: test/unit/config-nats.test.ts).
    const err = await spawnHub([...args, '--nats', `nats://hubuser:${PASSWORD}@bad host:4222`]).then(async (x) => { await x.stop(); return new Error('started'); }, (e: Error) => e);
    expect(err.message).toMatch(/logwire-hub: --nats: "nats:\/\/\*\*\*@bad host:4222" is not a NATS URL/);
    expect(err.message).not.toContain(PASSWORD);
    rmSync(dir, { recursive: true, force: true });
  }, 90_000); // three real hub processes on a busy machine
});

describe('bus - NATS over TLS', () => {
  let dir: string;
  let tlsNats: TestNats;
  const pem = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = tempDir('logwire-nats-tls-');
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=logwire-test-ca');
    for (const [name, usage] of [['server', 'serverAuth'], ['client', 'clientAuth']]) {
      writeFileSync(pem(`${name}.ext`), `subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=${usage}\n`);
      ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
    }
    tlsNats = await startNats({ args: ['--tlsverify', '--tlscert', pem('server.pem'), '--tlskey', pem('server.key'), '--tlscacert', pem('ca.pem')] });
  });
  afterAll(async () => {
    await tlsNats?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bus - --nats-tls-ca with --nats-tls-cert/--nats-tls-key connects to a server that verifies clients; without them it is refused', async () => {
    await hubState({ nats: tlsNats.url, natsTlsCa: pem('ca.pem'), natsTlsCert: pem('client.pem'), natsTlsKey: pem('client.key') }, 'ok');
    const noClientCert = await hubState({ nats: tlsNats.url, natsTlsCa: pem('ca.pem') }, 'refused');
    expect(noClientCert.bus.ok).toBe(false);
    // The server's certificate is from a CA the hub was not told to trust.
    const unknownCa = await hubState({ nats: tlsNats.url, natsTlsCa: pem('client.pem'), natsTlsCert: pem('client.pem'), natsTlsKey: pem('client.key') }, 'refused');
    expect(unknownCa.bus.error).toBeDefined();
  });
});
