/**
 * `logwire-hub --demo` (what `npm start` runs): alongside the hub, simulated shippers play a few
 * services so a newcomer sees logs flowing and can run `tail-cli` at once. They are separate
 * processes running the real `logwire-shipper simulate`, exactly as on a host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Hub } from './app.js';

const SHIPPER_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'shipper', 'main.js');

export const DEMO_FLEET = [
  { host: 'web-1', services: 'checkout,payments,auth', rate: 40 },
  { host: 'worker-1', services: 'billing,search,notifications', rate: 25 },
];

export function startDemoShippers(hub: Hub): { close(): Promise<void> } {
  const token = hub.adminTokenPath ? readFileSync(hub.adminTokenPath, 'utf8').trim() : process.env.LOGWIRE_TOKEN;
  const wsUrl = hub.url.replace(/^http/, 'ws');
  const children: ChildProcess[] = [];
  for (const s of DEMO_FLEET) {
    const child = spawn(process.execPath, [SHIPPER_MAIN, 'simulate', '--hub', wsUrl, '--services', s.services, '--rate', String(s.rate), '--host', s.host], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOGWIRE_TOKEN: token ?? '' },
    });
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) hub.ctx.log.warn({ host: s.host, code }, 'demo shipper exited');
    });
    children.push(child);
  }
  hub.ctx.log.info({ shippers: DEMO_FLEET.map((s) => s.host) }, 'demo shippers started');
  process.stdout.write(`demo: simulated shippers on ${DEMO_FLEET.map((s) => s.host).join(', ')}; try: npx tail-cli --severity WARN+\n`);
  return {
    async close() {
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      })));
    },
  };
}
