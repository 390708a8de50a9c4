// Whether the JavaScript that scripts/build.mjs compiles beside metarl's TypeScript is up to date.
// Plain JavaScript with no dependencies: bin/metarl.mjs asks it before anything else is loaded.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

/** The folders whose TypeScript is compiled (the library and the command line; not tests, demo or examples). */
export const BUILD_DIRS = ['src', 'envs', 'agents', 'scripts'];
/** The record of a build, at the package root: every source it compiled, with its size and time, and the same of its output. */
export const STAMP = '.metarl-build.json';
/** The stamp's layout: a stamp of another format is out of date. */
export const BUILD_FORMAT = 2;

/**
 * A hash of what decides how the sources compile, besides the sources: scripts/build.mjs itself,
 * tsconfig.json, package.json's `imports` (`#tfjs`) and the version of esbuild. A change to any of
 * them puts the build out of date.
 */
export function buildInputs(root) {
  root = resolve(root); // createRequire needs an absolute path
  const read = (f) => readFileSync(join(root, f), 'utf8');
  const esbuild = createRequire(join(root, 'package.json')).resolve('esbuild/package.json');
  const parts = [read('scripts/build.mjs'), read('tsconfig.json'), JSON.stringify(JSON.parse(read('package.json')).imports ?? null), readFileSync(esbuild, 'utf8')];
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** Whether the environment asks to run the TypeScript even when the build is up to date (METARL_FROM_SOURCE=1, true or yes). */
export function fromSourceRequested(env = process.env) {
  return ['1', 'true', 'yes'].includes(env.METARL_FROM_SOURCE ?? '');
}

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
 * was made from the same {@link buildInputs}, lists the same TypeScript files, and every one of them
 * and of their compiled `.js` files still has the size and modification time the build recorded. A
 * source edited, added or removed since, a compiled file changed or deleted, no stamp, or anything
 * that cannot be read: false. Costs a directory listing, two `stat`s per file and a few small reads
 * (a few milliseconds).
 */
export function buildIsFresh(root) {
  try {
    return stampMatches(root);
  } catch {
    return false;
  }
}

function stampMatches(root) {
  const stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'));
  if (stamp?.format !== BUILD_FORMAT || typeof stamp.files !== 'object' || stamp.files === null) return false;
  if (stamp.inputs !== buildInputs(root)) return false;
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
