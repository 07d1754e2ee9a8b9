/**
 * One shipper per state directory: two processes sharing a shipper id and seq space would make
 * the hub drop one's batches as duplicates. The lock is `<stateDir>/lock` holding the owner's
 * pid; a lock whose pid is gone (kill -9, reboot) is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError } from './checkpoint.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the state-directory lock; returns its release function. */
export async function lockStateDir(stateDir: string): Promise<() => Promise<void>> {
  const path = join(stateDir, 'lock');
  for (let i = 0; i < 3; i++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => unlink(path).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateError(`cannot create ${path}: ${(err as NodeJS.ErrnoException).code}`);
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw new StateError(`state directory ${stateDir} is in use by another shipper (pid ${pid}); give each shipper its own --state-dir`);
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new StateError(`cannot take the lock ${path}`);
}
