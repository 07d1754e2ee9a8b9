import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Test files run in separate processes (real sockets, real LMDB, real NATS). Two at a time:
// this machine class has two cores, and integration tests spawn hubs and shippers of their own.
export default defineConfig({
  // Paths below are relative to the repository root, whatever the working directory.
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
