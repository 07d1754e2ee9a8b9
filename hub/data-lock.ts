/**
 * One hub per data directory (docs/README.md): `<data>/hub.pid` is created with O_EXCL and holds the
 * owner's pid. A second hub finds it, sees that process alive and stops with one line naming the
 * directory and the pid. A file left by a hub that died (kill -9, power loss) names a process
 * that is gone (or, after pid reuse, one that is not a logwire hub): it is taken over.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from './errors.js';

export const LOCK_FILE = 'hub.pid';

export interface DataLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataLock {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (holder(path) === process.pid) unlinkSync(path);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new HubError('HUB_ERR_CONFIG', `cannot lock data directory ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const pid = holder(path);
    if (pid !== undefined && pid !== process.pid && isLiveHub(pid)) {
      throw new HubError('HUB_ERR_CONFIG', `data directory ${dataDir} is in use by another hub (pid ${pid}); stop it first or give this one another --data`);
    }
    if (pid === process.pid) throw new HubError('HUB_ERR_CONFIG', `data directory ${dataDir} is already open in this process`);
    try {
      unlinkSync(path); // stale: its hub is gone
    } catch {
      // another starter removed it first; try again
    }
  }
  throw new HubError('HUB_ERR_CONFIG', `cannot lock data directory ${dataDir}: another hub keeps starting there`);
}

function holder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is running and (where /proc tells) is a Node process, as every hub is. */
function isLiveHub(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|logwire/.test(cmd);
  } catch {
    return true; // no /proc: trust the signal check
  }
}
