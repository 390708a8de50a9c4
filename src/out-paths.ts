/**
 * Checks of the paths commands write to, made before any work is done (Node only): a path that
 * runs through a file, and a file that belongs to a run (a checkpoint's, or a run's `config.json`
 * and `progress.jsonl`), which a results file must never replace.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

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

/** The files of a run that only `metarl train` writes. */
const RUN_FILES = ['config.json', 'progress.jsonl'];
/** The files of a checkpoint folder. */
const CHECKPOINT_FILES = ['model.json', 'weights.bin', 'optimizer.bin'];

/**
 * When writing the file `path` would replace a file of a run: the run directory (the directory
 * holding `checkpoint/`); else null. A checkpoint's own files, and a run's `config.json` and
 * `progress.jsonl`, count.
 */
export function runFileOwner(path: string): string | null {
  const full = resolve(path);
  const dir = dirname(full);
  const name = basename(full);
  const isRun = (d: string) => existsSync(join(d, 'checkpoint', 'model.json')) || existsSync(join(d, 'checkpoint.old', 'model.json'));
  if (RUN_FILES.includes(name) && isRun(dir)) return dir;
  if (CHECKPOINT_FILES.includes(name) && existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'weights.bin'))) return dirname(dir);
  return null;
}

/** The highest directory of `dir`'s path that does not exist (what making `dir` creates, to remove again), or null when `dir` exists. */
export function firstMissingDir(dir: string): string | null {
  let missing: string | null = null;
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) missing = d;
  return missing;
}
