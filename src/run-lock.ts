/**
 * One process at a time in a run or comparison directory: a lock file holding the process id,
 * created exclusively (linked into place whole). A lock whose process is gone (a crash, a second Ctrl-C) is stale and taken
 * over. Node only.
 */
import { existsSync, linkSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE, makeDir, realPath } from './out-paths.ts';
import { ConfigError } from './config.ts';

/** The lock file's name in the directory it locks (defined beside the checks of output paths, which protect it). */
export { LOCK_FILE };

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
  const lock = readLock(join(dir, LOCK_FILE));
  return heldByOther(lock) ? lock.pid : null;
}

/**
 * Whether `lock` (a lock file's) is held by another process that is running: its process id is
 * that of a running process other than this one, and, where the lock records which process that
 * was (Linux), the running one is it. After a reboot or a container's restart another process can
 * have the id (found by a crash trial: a lock left so refused every resume, naming an unrelated process).
 */
function heldByOther(lock: LockFile | null): lock is LockFile {
  if (lock === null || lock.pid === process.pid || !alive(lock.pid)) return false;
  if (lock.identity === null) return true;
  const now = processIdentity(lock.pid);
  return now === null || now === lock.identity;
}

/** What a lock file holds: the process id, and which process that was (null where not recorded). */
interface LockFile {
  pid: number;
  identity: string | null;
}

/** The lock file at `path`; null when it holds no process id (unreadable, gone, or not a process id). */
function readLock(path: string): LockFile | null {
  try {
    const [first, second] = readFileSync(path, 'utf8').split('\n');
    const pid = Number(first!.trim());
    if (!(Number.isInteger(pid) && pid > 0)) return null;
    return { pid, identity: second?.trim() || null };
  } catch {
    return null;
  }
}

/** The process id a lock file holds; null when it holds none. */
function readPid(path: string): number | null {
  return readLock(path)?.pid ?? null;
}

/**
 * Which process `pid` is, beyond its id, where the system tells (Linux: the boot's id and the
 * process's start time in clock ticks, from /proc); null elsewhere, or when it is not running.
 */
export function processIdentity(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces: the 22nd field,
    // the start time, is the 20th of them.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return start !== undefined && /^\d+$/.test(start) ? `${boot} ${start}` : null;
  } catch {
    return null;
  }
}

/** A {@link ConfigError} naming `field` for a directory the process may not write in (`e` an EACCES, EPERM or EROFS), else `e`. */
function unwritable(e: unknown, field: string, dir: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return e;
  return new ConfigError(field, dir, `cannot be written (${code} on ${(e as NodeJS.ErrnoException).path ?? dir})`);
}

/**
 * Takes `dir`'s lock (making `dir`), for `what` ("trained", "written by another compare"); returns the
 * function that releases it. Processes that start at the same moment get it one at a time: the lock
 * file is written whole under a name of its own and linked into place (so it is never seen empty),
 * and a stale lock is removed under a takeover file of its own, only if it is still the one seen stale.
 * @throws ConfigError naming `field` when another running process holds it.
 */
export function acquireLock(dir: string, field: string, what: string): () => void {
  const path = join(dir, LOCK_FILE);
  const mine = `${path}.${process.pid}`;
  try {
    makeDir(dir);
  } catch (e) {
    throw unwritable(e, field, dir);
  }
  // Its file holds this process's id, which looks stale to this process: held by another call here.
  const key = heldKey(dir);
  if (heldHere.has(key)) throw new ConfigError(field, dir, `is being ${what} by another call in this process (its lock: ${path}); wait for it to end`);
  try {
    writeFileSync(mine, `${process.pid}\n${processIdentity(process.pid) ?? ''}\n`);
  } catch (e) {
    throw unwritable(e, field, dir);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        createExclusive(mine, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = lockHolder(dir);
      if (holder !== null) throw new ConfigError(field, dir, `is being ${what} (process ${holder}, its lock: ${path}); wait for it to end or stop it`);
      if (attempt >= 50) throw new ConfigError(field, dir, `could not take its lock (${path}): other processes keep taking it over; try again`);
      removeStale(path, mine);
    }
  } finally {
    rmSync(mine, { force: true });
  }
  heldHere.set(key, path);
  // Copies a process stopped while taking the lock left (found by a crash trial: they stayed for good).
  for (const f of readdirSync(dir)) {
    const owner = /^\.metarl-lock\.(\d+)$/.exec(f);
    if (owner !== null && !alive(Number(owner[1]))) rmSync(join(dir, f), { force: true });
  }
  if (heldHere.size === 1 && !exitHook) {
    // A process that ends without releasing (process.exit on a second Ctrl-C) leaves no lock behind
    // (found by a crash trial: it did, every time).
    exitHook = true;
    process.once('exit', () => {
      for (const lock of heldHere.values()) dropOwn(lock);
    });
  }
  return () => {
    if (!heldHere.delete(key)) return; // released already
    dropOwn(path);
  };
}

/** Removes the lock file `path` if it holds this process's id. */
function dropOwn(path: string): void {
  if (readPid(path) === process.pid) rmSync(path, { force: true });
}

let exitHook = false;

/**
 * Releases this process's lock of `dir`, when it holds one, before the call that took it does:
 * for a process about to exit at once, that first removes the folders it made (which the lock
 * file would keep from being empty).
 */
export function releaseLock(dir: string): void {
  const key = heldKey(dir);
  const path = heldHere.get(key);
  if (path === undefined) return;
  heldHere.delete(key);
  dropOwn(path);
}

/** The directories whose locks this process holds (real paths), with their lock files: one call at a time in a directory here too. */
const heldHere = new Map<string, string>();

/** `dir` as {@link heldHere} keys it: its real path, the same through any symbolic link to it. */
function heldKey(dir: string): string {
  return realPath(dir);
}

/** Whether another call in this process holds `dir`'s lock (a run being trained by a `train` under way here). */
export function lockedHere(dir: string): boolean {
  return heldHere.has(heldKey(dir));
}

/**
 * Makes `path` a link to `whole` (a file written whole), failing with EEXIST when `path` exists. On
 * a filesystem without hard links (some network and FUSE mounts), `path` is created exclusively and
 * written instead; there it exists empty for a moment, which a process starting at that very moment
 * could take for a stale lock.
 */
function createExclusive(whole: string, path: string): void {
  try {
    linkSync(whole, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
    writeFileSync(path, readFileSync(whole), { flag: 'wx' });
  }
}

/**
 * Removes the stale lock at `path` (its process is gone, or it is this process's, or it holds no
 * process id), under the takeover file `path.takeover` (linked from `mine`, this process's copy), so
 * that of processes that saw it stale at the same moment one removes it, and none removes a lock
 * another process has linked in since. Only a takeover file's holder removes a lock it does not own.
 */
function removeStale(path: string, mine: string): void {
  const guard = `${path}.takeover`;
  try {
    createExclusive(mine, guard);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process is taking it over: look again a moment later. A takeover file whose process
    // is gone (it died in the few lines below) is removed.
    const owner = readPid(guard);
    if (owner === null || owner === process.pid || !alive(owner)) rmSync(guard, { force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    return;
  }
  try {
    // Gone already (the next link takes it), or held since by a process that is running: left be.
    if (existsSync(path) && !heldByOther(readLock(path))) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}
