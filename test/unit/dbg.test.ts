import { it } from 'vitest';
import { startTestHub } from '../helpers/hub.js';
import { openTail } from '../integration/live/tail-client.js';
it('x', async () => {
  const hub = await startTestHub();
  await fetch(`${hub.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' }, body: '{"message":"x"}' });
  for (const c of ['abc', 'zzzzzzzzzzzzzzzzzzzzzzzz', '0', '-1', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '9'.repeat(40)]) {
    const r = await fetch(`${hub.url}/logs?cursor=${c}`, { headers: { authorization: `Bearer ${hub.token}` } });
    console.log(c, r.status, await r.text());
    const t = await openTail(hub.wsUrl, { after: c }, hub.token);
    const to = setTimeout(() => t.ws.close(), 1000);
    console.log('tail', c, await t.closed); clearTimeout(to);
  }
  for (const ct of ['text/plain', 'application/xml', 'image/png']) {
    const r = await fetch(`${hub.url}/logs`, { method: 'POST', headers: { authorization: `Bearer ${hub.token}`, 'content-type': ct }, body: '{"message":"x"}' });
    console.log(ct, r.status, await r.text());
  }
  await hub.close();
});
