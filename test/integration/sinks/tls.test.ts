import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { selfSigned } from '../../helpers/tls.js';
import { waitFor } from '../../helpers/wait.js';
import { makeRecords, postLogs, QUICK, sinkStats, writeSinksFile } from './helpers.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0).reverse()) await h.close();
});

describe('sinks tls', () => {
  it('sinks tls - logwire over wss and elasticsearch over https with the receiver\'s CA; without it the certificate is refused and retried', async () => {
    const dir = tempDir();
    const { cert, key } = selfSigned(dir);
    const b = await startTestHub({ config: { tlsCert: cert, tlsKey: key } });
    hubs.push(b);
    const sinks = writeSinksFile(dir, [
      { name: 'wss', type: 'logwire', url: b.wsUrl, token: b.token, tls: { ca: 'cert.pem' }, ...QUICK },
      { name: 'es', type: 'elasticsearch', url: `${b.url}/es`, token: b.token, tls: { ca: cert }, ...QUICK },
      { name: 'untrusted', type: 'http', url: `${b.url}/logs`, token: b.token, ...QUICK },
    ]);
    const a = await startTestHub({ config: { sinks } });
    hubs.push(a);
    await postLogs(a.url, a.token, makeRecords(20));
    const st = await waitFor(async () => {
      const s = await sinkStats(a.url, a.token);
      return s.find((x) => x.name === 'wss')?.sent === 20 && s.find((x) => x.name === 'es')?.sent === 20 && s.find((x) => x.name === 'untrusted')!.retried > 0 && s;
    }, { what: 'both trusted sinks delivered, the untrusted one retrying' });
    expect(st.find((x) => x.name === 'untrusted')!.last_error?.message).toMatch(/certificate/i);
    // Both trusted sinks wrote into the receiving hub: 20 records each.
    expect(b.hub.ctx.store.stats().total).toBe(40);
  });
});
