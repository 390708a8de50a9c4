/**
 * Before the suite: compiles the build (scripts/build.mjs), so that the `metarl` commands the tests
 * start run it, as an installed metarl does, and do not fall back to the TypeScript because a source
 * changed since `npm install`. A failed build fails the suite.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup() {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'build.mjs'), '--strict'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/build.mjs failed (exit ${r.status}): ${r.stderr}`);
}
