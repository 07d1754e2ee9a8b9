/** A free TCP port on loopback for a benchmark's hub receivers (not part of the test suite). */
import { createServer } from 'node:net';

export function freePortNumber(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
