import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import WebSocket from 'ws';
import { startTestHub, tempDir, type TestHub } from '../../helpers/hub.js';
import { selfSigned } from '../../helpers/tls.js';
import { decodeFrame, encodeFrame } from '../../../hub/protocol/index.js';

let hub: TestHub;
afterEach(async () => {
  await hub?.close();
});

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

describe('hub tls', () => {
  it('tls - with --tls-cert/--tls-key the hub serves https and wss', async () => {
    const dir = tempDir();
    const { cert, key } = selfSigned(dir);
    hub = await startTestHub({ config: { tlsCert: cert, tlsKey: key } });
    expect(hub.url).toMatch(/^https:\/\//);
    const ca = (await import('node:fs')).readFileSync(cert);
    const health = await httpsGet(`${hub.url}/health`, ca);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body).status).toBe('ok');

    const ws = new WebSocket(`${hub.url.replace(/^https/, 'wss')}/v1/ingest`, { ca, headers: { authorization: `Bearer ${hub.token}` } });
    const welcome = await new Promise((resolve, reject) => {
      ws.on('open', () => ws.send(encodeFrame({ type: 'hello', shipper: 'tls', version: 1 })));
      ws.on('message', (d: Buffer) => {
        const r = decodeFrame(d);
        resolve(r.ok ? r.frame : r);
      });
      ws.on('error', reject);
    });
    expect(welcome).toMatchObject({ type: 'welcome', acked: 0 });
    ws.close();
  });
});
