/**
 * Checks of the paths commands write to, made before any work is done (Node only): a path that
 * runs through a file, and a file that belongs to a run (a run's `config.json` and
 * `progress.jsonl`, anything in its checkpoint folders), which a results file must never replace.
 */
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

/**
 * `path` made absolute with symbolic links followed as far as it exists (the part below the nearest
 * existing directory is kept as given): where a write to it really goes.
 */
export function realPath(path: string): string {
  const full = resolve(path);
  for (let d = full; ; d = dirname(d)) {
    if (existsSync(d)) return join(realpathSync(d), relative(d, full));
    if (dirname(d) === d) return full;
  }
}

/**
 * The nearest existing path above `path` (not `path` itself) when it is a file rather than a
 * directory: writing `path` would fail (`ENOTDIR`, `EEXIST`). Null when every existing ancestor is a
 * directory.
 */
export function fileOnTheWay(path: string): string | null {
  let dir = dirname(resolve(path));
  for (;;) {
    if (existsSync(dir)) return statSync(dir).isDirectory() ? null : dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * Why the directory `path` (a run's, a comparison's) cannot be made or used, for a message: it is a
 * file, a file stands where a directory above it should be, or it is inside a run's checkpoint
 * folder or snapshot, which the run replaces whole; null when it can.
 */
export function outDirProblem(path: string): string | null {
  const long = nameLengthProblem(path);
  if (long !== null) return long;
  if (existsSync(path) && !statSync(path).isDirectory()) return 'is a file, not a directory';
  const blocking = fileOnTheWay(path);
  if (blocking !== null) return `cannot be made: ${blocking} is a file, not a directory`;
  return replacedFolderProblem(realPath(path)) ?? notWritableProblem(path);
}

/**
 * Why the file systems of Linux, macOS and Windows would refuse the path `path` for its length: a
 * name in it longer than 255 bytes, or the whole longer than 4095; null when none is (found by a
 * bad-input trial: a results file named so was refused only when written, after the work).
 */
export function nameLengthProblem(path: string): string | null {
  const name = path.split(/[/\\]/).find((n) => Buffer.byteLength(n) > 255);
  if (name !== undefined) return `holds a name of ${Buffer.byteLength(name)} bytes (${name.slice(0, 16)}…), more than the 255 a file system allows`;
  const full = Buffer.byteLength(resolve(path));
  return full > 4095 ? `is ${full} bytes long as an absolute path, more than the 4095 a file system allows` : null;
}

/**
 * Why nothing can be written in the directory `dir` (or, where it does not exist yet, made in its
 * nearest existing parent): that directory is not writable for this process, for a message; null
 * when it is. (The operating system has the last word: a write can still fail, on a full disk or
 * a file system that refuses even its superuser.)
 */
export function notWritableProblem(dir: string): string | null {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  try {
    accessSync(d, constants.W_OK | constants.X_OK);
  } catch (e) {
    return `cannot be written: ${d} is not writable (${(e as NodeJS.ErrnoException).code})`;
  }
  // The permission bits do not bind the superuser, and some file systems (/proc, a read-only
  // mount) refuse whatever the bits say: a file made and removed at once asks the system itself.
  const probe = join(d, `.metarl-probe-${process.pid}-${++probes}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    return `cannot be written: ${d} refuses new files (${(e as NodeJS.ErrnoException).code})`;
  }
  unlinkSync(probe);
  return null;
}

let probes = 0;

/**
 * Makes the directory `path` and the missing directories above it, as `mkdirSync(path, {recursive:
 * true})` does, but one level at a time: Node's own loops for ever, at full CPU and deaf to signals,
 * where the kernel answers "no such file" for a directory whose parent exists (`/proc/x`; found by a
 * bad-input trial). A directory already there is fine.
 * @throws the system's error (with its `code`) for the level that cannot be made, or ENOTDIR when
 * `path` is a file.
 */
export function makeDir(path: string): void {
  const missing: string[] = [];
  for (let d = resolve(path); !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (!statSync(path).isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: 'ENOTDIR', path });
  }
}

/**
 * Why a directory at (real path) `dir` would be lost: it is, or is inside, a run's checkpoint
 * folder or one of its snapshots, which the run's next save (or a resume) replaces whole; null when not.
 */
function replacedFolderProblem(dir: string): string | null {
  for (let d = dir; dirname(d) !== d; d = dirname(d)) {
    if (isCheckpointFolder(basename(d)) && isRun(dirname(d))) return `is in the checkpoint folder of the run ${dirname(d)}, which each checkpoint replaces whole`;
    if (/^it\d+$/.test(basename(d)) && basename(dirname(d)) === 'snapshots' && isRun(dirname(dirname(d)))) return `is in the snapshot ${d} of the run ${dirname(dirname(d))}, which its training replaces whole when it makes that snapshot again`;
  }
  return null;
}

/** Whether `d` is a run directory (it holds a checkpoint). */
const isRun = (d: string) => existsSync(join(d, 'checkpoint', 'model.json')) || existsSync(join(d, 'checkpoint.old', 'model.json'));

/** The lock file of a folder a metarl process works in (`run-lock.ts`). */
export const LOCK_FILE = '.metarl-lock';

/** The files of a run that only `metarl train` writes. */
const RUN_FILES = ['config.json', 'progress.jsonl'];
/** A run's checkpoint folders: the checkpoint, the one a save replaces, and one being written. */
const isCheckpointFolder = (name: string) => name === 'checkpoint' || name === 'checkpoint.old' || name.startsWith('checkpoint.tmp-');

/**
 * Why writing the file `path` would harm a run, for a message: it would replace the run's
 * `config.json` or `progress.jsonl` or a folder's lock file, or it would go into (a folder inside) one of its checkpoint
 * folders or snapshots (a save replaces them whole); null when it would not. Symbolic links are followed.
 */
export function runFileProblem(path: string): string | null {
  const full = realPath(path);
  const dir = dirname(full);
  if (RUN_FILES.includes(basename(full)) && isRun(dir)) return `is a file of the run ${dir}, which only metarl train writes`;
  // Replaced, it would let a second process into the folder (found by a bad-input trial).
  if (basename(full) === LOCK_FILE) return `is the lock file of ${dir}, which metarl processes working there hold`;
  return replacedFolderProblem(dir);
}

/** The highest directory of `dir`'s path that does not exist (what making `dir` creates, to remove again), or null when `dir` exists. */
export function firstMissingDir(dir: string): string | null {
  let missing: string | null = null;
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) missing = d;
  return missing;
}

/**
 * Undoes what a command that stopped before keeping anything made in `out`: removes `files` (its
 * own), then `out` and the folders above it up to `made` (the highest one it created, from
 * {@link firstMissingDir}; null when `out` existed), each only while it is empty. Another process
 * may have put files of its own there meanwhile (found by a crash trial: a second run in a folder
 * the first had made was removed with it).
 */
export function removeMade(out: string, made: string | null, files: readonly string[]): void {
  for (const f of files) rmSync(f, { recursive: true, force: true });
  if (made === null) return;
  const top = resolve(made);
  for (let d = resolve(out); ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty, or gone
    }
    if (d === top || dirname(d) === d) return;
  }
}

/**
 * Writes `data` (text, or bytes) to the file `path` whole or not at all: to a temporary name beside
 * it, then renamed over it, so that a stop while writing leaves the earlier file as it was, not a
 * part of the new one.
 */
export function writeFileWhole(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    // No half-written temporary file left behind (a full disk), and the file named: Node's message
    // for a failed write names none (found by a crash trial).
    rmSync(tmp, { force: true });
    if (e instanceof Error && !e.message.includes(path)) e.message += ` (writing ${path})`;
    throw e;
  }
}
