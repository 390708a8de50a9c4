#!/usr/bin/env node
// Compiles metarl's TypeScript (src, envs, agents, scripts) to JavaScript, each `.js` beside its `.ts`,
// so that the `metarl` command starts without tsx's loader: about half a second less per command and
// per worker thread. `npm install` runs it (the `postinstall` script, which never fails an install);
// `npm run build` runs it again (with --strict).
// bin/metarl.mjs uses the build only while it is up to date (bin/build-state.mjs), and the
// TypeScript through tsx otherwise: an edit needs no rebuild to take effect, only to be fast.
//
// esbuild compiles the files (tsx uses it too, with the settings of tsconfig.json, as here), with
// inline source maps so that stack traces name the TypeScript lines. Import paths are rewritten:
// `./x.ts` becomes `./x.js`, and `#tfjs` the relative path of src/tfjs.js (package.json maps `#tfjs`
// to the TypeScript file, which Node cannot load without tsx). A packed tarball holds no build
// (.gitignore keeps the `.js` files out of it): installed as a dependency, metarl builds itself in
// node_modules at its own postinstall, where npm runs it.
//
//   node scripts/build.mjs [--strict]     (--strict: exit 1 when the build fails, instead of a warning)

import { mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_FORMAT, STAMP, buildInputs, buildSources, fileState } from '../bin/build-state.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `spec` as the compiled file at `jsPath` imports it. */
function rewriteSpecifier(spec, jsPath, root) {
  if (spec === '#tfjs') {
    const rel = relative(dirname(jsPath), join(root, 'src', 'tfjs.js')).split('\\').join('/');
    return rel.startsWith('.') ? rel : `./${rel}`;
  }
  return /^\.\.?\//.test(spec) && spec.endsWith('.ts') ? `${spec.slice(0, -3)}.js` : spec;
}

/**
 * The JavaScript of every source of `root` by path, with its imports rewritten (see the top of this
 * file). One esbuild run over all the files: "bundled", but with every import left out of the bundle
 * (external) under its rewritten path, so each output is its own file alone, and only real import
 * statements and `import()` calls of a literal are rewritten, never a string that looks like one.
 * esbuild reads tsconfig.json as tsx does (its target ES2022: class fields are defined, not assigned).
 */
async function compile(esbuild, root, sources) {
  const external = {
    name: 'metarl-external',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => (args.kind === 'entry-point' ? undefined : { path: rewriteSpecifier(args.path, args.importer.replace(/\.ts$/, '.js'), root), external: true }));
    },
  };
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: sources,
    outbase: root,
    outdir: root,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    keepNames: true, // as tsx: names of functions and classes as written
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [external],
  });
  return new Map(result.outputFiles.map((f) => [relative(root, f.path).split('\\').join('/'), f.text]));
}

/** The `.js` files the last build of `root` wrote, as its stamp lists them (none without a readable stamp). */
function previousOutputs(root) {
  try {
    return Object.keys(JSON.parse(readFileSync(join(root, STAMP), 'utf8')).files ?? {}).map((ts) => ts.replace(/\.ts$/, '.js'));
  } catch {
    return [];
  }
}

/**
 * Compiles every source of `root` (bin/build-state.mjs's BUILD_DIRS), removes the `.js` files the
 * last build wrote whose source is gone (renamed or deleted; other `.js` files are left alone), and writes the stamp that
 * bin/metarl.mjs checks. The old stamp goes first and the new one is written last, so a command
 * started meanwhile runs the TypeScript; each `.js` is written to a temporary name and renamed.
 * Returns the number of files and the seconds taken.
 */
export async function build(root = ROOT) {
  const t0 = performance.now();
  const esbuild = await import('esbuild');
  const made = previousOutputs(root);
  rmSync(join(root, STAMP), { force: true });
  const sources = buildSources(root);
  const before = new Map(sources.map((ts) => [ts, fileState(join(root, ts))]));
  const outputs = await compile(esbuild, root, sources);
  const files = {};
  const tmp = mkdtempSync(join(root, '.tmp-build-'));
  try {
    for (const ts of sources) {
      const js = ts.replace(/\.ts$/, '.js');
      const code = outputs.get(js);
      if (code === undefined) throw new Error(`esbuild wrote no ${js}`);
      const staged = join(tmp, 'out.js');
      writeFileSync(staged, code);
      renameSync(staged, join(root, js));
      // A source edited while it was compiled is recorded as it was before: the stamp then does not match it.
      files[ts] = [...before.get(ts), ...fileState(join(root, js))];
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const kept = new Set(sources.map((ts) => ts.replace(/\.ts$/, '.js')));
  for (const js of made) if (!kept.has(js)) rmSync(join(root, js), { force: true });
  writeFileSync(join(root, STAMP), `${JSON.stringify({ format: BUILD_FORMAT, inputs: buildInputs(root), files }, null, 1)}\n`);
  return { files: sources.length, seconds: (performance.now() - t0) / 1000 };
}

const invoked = process.argv[1] !== undefined && (() => {
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invoked) {
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
