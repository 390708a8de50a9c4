/**
 * One process at a time in a run or comparison directory: a lock file holding the process id,
 * created exclusively. A lock whose process is gone (a crash, a second Ctrl-C) is stale and taken
 * over. Node only.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config.ts';

/** The lock file's name in the directory it locks. */
export const LOCK_FILE = '.metarl-lock';

/** Whether process `pid` is running (on this machine). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The id of the other, running process that holds `dir`'s lock; null when there is none (or it is stale, or ours). */
export function lockHolder(dir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, LOCK_FILE), 'utf8').trim());
  } catch {
    return null;
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : null;
}

/**
 * Takes `dir`'s lock (making `dir`), for `what` ("trained", "written by another compare"); returns the
 * function that releases it.
 * @throws ConfigError naming `field` when another running process holds it.
 */
export function acquireLock(dir: string, field: string, what: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const holder = lockHolder(dir);
      if (holder !== null) throw new ConfigError(field, dir, `is being ${what} (process ${holder}, its lock: ${path}); wait for it to end or stop it`);
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  return () => {
    try {
      if (Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  };
}
