#!/usr/bin/env node
// Compiles metarl's TypeScript (src, envs, agents, scripts) to JavaScript, each `.js` beside its `.ts`,
// so that the `metarl` command starts without tsx's loader: about half a second less per command and
// per worker thread. `npm install` runs it (the `prepare` script); `npm run build` runs it again.
// bin/metarl.mjs uses the build only while it is up to date (bin/build-state.mjs), and the
// TypeScript through tsx otherwise: an edit needs no rebuild to take effect, only to be fast.
//
// Each file is compiled alone by esbuild (which tsx uses too, with the same settings), with an inline
// source map so that stack traces name the TypeScript lines. Import paths are rewritten: `./x.ts`
// becomes `./x.js`, and `#tfjs` the relative path of src/tfjs.js (package.json maps `#tfjs` to the
// TypeScript file, which Node cannot load without tsx).
//
//   node scripts/build.mjs [--strict]     (--strict: exit 1 when the build fails, instead of a warning)

import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_FORMAT, STAMP, buildSources, fileState } from '../bin/build-state.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `spec` as the compiled file at `jsPath` imports it. */
function rewriteSpecifier(spec, jsPath, root) {
  if (spec === '#tfjs') {
    const rel = relative(dirname(jsPath), join(root, 'src', 'tfjs.js')).split('\\').join('/');
    return rel.startsWith('.') ? rel : `./${rel}`;
  }
  return /^\.\.?\//.test(spec) && spec.endsWith('.ts') ? `${spec.slice(0, -3)}.js` : spec;
}

/** The JavaScript of the TypeScript file `tsPath`, with its imports rewritten (see the top of this file). */
function compileFile(transformSync, tsPath, root) {
  const jsPath = tsPath.replace(/\.ts$/, '.js');
  const { code } = transformSync(readFileSync(tsPath, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    // As tsconfig.json's target ES2022 gives tsc and tsx (and esbuild's target node20 too, said here all the same): class fields are defined, not assigned.
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    sourcemap: 'inline',
    sourcesContent: false,
    sourcefile: basename(tsPath),
  });
  // Static imports and re-exports (`from "…"`, `import "…"`) and dynamic imports of a literal (`import("…")`).
  return code.replace(/(\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"'\n]+)\2/g, (_, head, q, spec) => `${head}${q}${rewriteSpecifier(spec, jsPath, root)}${q}`);
}

/**
 * Compiles every source of `root` (bin/build-state.mjs's BUILD_DIRS) and writes the stamp that
 * bin/metarl.mjs checks. The old stamp goes first and the new one is written last, so a command
 * started meanwhile runs the TypeScript; each `.js` is written to a temporary name and renamed.
 * Returns the number of files and the seconds taken.
 */
export async function build(root = ROOT) {
  const t0 = performance.now();
  const { transformSync } = await import('esbuild');
  rmSync(join(root, STAMP), { force: true });
  const files = {};
  const tmp = mkdtempSync(join(root, '.tmp-build-'));
  try {
    for (const ts of buildSources(root)) {
      const tsPath = join(root, ts);
      const before = fileState(tsPath);
      const staged = join(tmp, 'out.js');
      writeFileSync(staged, compileFile(transformSync, tsPath, root));
      renameSync(staged, tsPath.replace(/\.ts$/, '.js'));
      // A source edited while it was compiled is not recorded as built: the stamp then never matches it.
      files[ts] = [...before, ...fileState(tsPath.replace(/\.ts$/, '.js'))];
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFileSync(join(root, STAMP), `${JSON.stringify({ format: BUILD_FORMAT, files }, null, 1)}\n`);
  return { files: Object.keys(files).length, seconds: (performance.now() - t0) / 1000 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { files, seconds } = await build();
    process.stdout.write(`metarl: compiled ${files} TypeScript files to JavaScript in ${seconds.toFixed(1)} s\n`);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (process.argv.includes('--strict')) {
      process.stderr.write(`metarl: the build failed: ${why}\n`);
      process.exitCode = 1;
    } else {
      // Never fails an install: without the build, the command runs the TypeScript (slower to start).
      process.stderr.write(`metarl: warning: the build failed, so the metarl command will run its TypeScript through tsx (about half a second slower to start): ${why}\n`);
    }
  }
}
