// Whether the JavaScript that scripts/build.mjs compiles beside metarl's TypeScript is up to date.
// Plain JavaScript with no dependencies: bin/metarl.mjs asks it before anything else is loaded.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The folders whose TypeScript is compiled (the library and the command line; not tests, demo or examples). */
export const BUILD_DIRS = ['src', 'envs', 'agents', 'scripts'];
/** The record of a build, at the package root: every source it compiled, with its size and time, and the same of its output. */
export const STAMP = '.metarl-build.json';
/** Changes whenever scripts/build.mjs would compile a file differently: a stamp of another format is out of date. */
export const BUILD_FORMAT = 1;

/** The TypeScript files of `root`'s BUILD_DIRS (paths relative to `root`, `/`-separated), sorted. */
export function buildSources(root) {
  return BUILD_DIRS.flatMap((d) =>
    readdirSync(join(root, d), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => `${d}/${f.split('\\').join('/')}`),
  ).sort();
}

/** `[size, mtimeMs]` of a file, or null when it is missing. */
export function fileState(path) {
  try {
    const s = statSync(path);
    return [s.size, s.mtimeMs];
  } catch {
    return null;
  }
}

/**
 * Whether `root` holds a build of exactly its current sources: its stamp is of this BUILD_FORMAT,
 * lists the same TypeScript files, and every one of them and of their compiled `.js` files still
 * has the size and modification time the build recorded. A source edited, added or removed since,
 * a compiled file changed or deleted, or no stamp at all: false. Costs a directory listing and two
 * `stat`s per file (a few milliseconds).
 */
export function buildIsFresh(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'));
  } catch {
    return false;
  }
  if (stamp?.format !== BUILD_FORMAT || typeof stamp.files !== 'object' || stamp.files === null) return false;
  const sources = buildSources(root);
  if (sources.length !== Object.keys(stamp.files).length) return false;
  for (const ts of sources) {
    const want = stamp.files[ts];
    if (!Array.isArray(want)) return false;
    const now = [...(fileState(join(root, ts)) ?? []), ...(fileState(join(root, ts.replace(/\.ts$/, '.js'))) ?? [])];
    if (now.length !== 4 || now.some((v, i) => v !== want[i])) return false;
  }
  return true;
}
