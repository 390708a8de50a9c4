/**
 * What a page's bundler sees of `metarl/browser` (found by a trial that bundled a page with Vite,
 * esbuild, webpack, Rollup and Parcel):
 * - no `new URL('<literal>', import.meta.url)` in the modules a page loads: webpack shipped the
 *   Node-only worker module it named as an asset, and Parcel followed it into the Node-only graph
 *   (tsx, worker threads) and failed;
 * - every dynamic import of a computed specifier (optional or Node-only modules) tells Vite and
 *   webpack to leave it alone, and so does every computed `new URL(…, import.meta.url)`: webpack
 *   warned "Critical dependency" on every build;
 * - under the `browser` condition `#tfjs` is tfjs-core with the cpu backend (./src/tfjs-page.ts), not
 *   the whole `@tensorflow/tfjs`.
 * The graph is esbuild's (platform browser), read from its metafile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** The repository's own modules a page bundling `metarl/browser` loads, with their sources, and every input. */
async function pageGraph(): Promise<{ own: Map<string, string>; inputs: string[] }> {
  const result = await build({
    entryPoints: [join(ROOT, 'agents', 'browser.ts')],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'esm',
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  // esbuild warns of a name a module imports that the module it resolved to does not export
  // (`tf.version`, say, which @tensorflow/tfjs has and tfjs-core has not): undefined in the page.
  expect(result.warnings.map((w) => `${w.location?.file}:${w.location?.line}: ${w.text}`)).toEqual([]);
  const inputs = Object.keys(result.metafile.inputs);
  // Paths relative to the repository; node_modules may be elsewhere (a link, a workspace's).
  const own = new Map(inputs.filter((f) => !/(^|\/)node_modules\//.test(f) && f.endsWith('.ts')).map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
  return { own, inputs };
}

it('the modules a page bundles name no module by a literal URL, and mark their computed imports for the bundlers; #tfjs is tfjs-core there', async () => {
  const { own, inputs } = await pageGraph();
  // Not vacuous: the learner (whose workers' modules are named by URL) and the backend (which imports optional packages) are in it.
  expect([...own.keys()]).toEqual(expect.arrayContaining(['agents/maml-trpo.ts', 'src/backend.ts', 'src/tfjs-page.ts']));
  const literalUrls: string[] = [];
  const unmarked: string[] = [];
  for (const [file, text] of own) {
    const code = text.replace(/^\s*\/\/.*$/gm, ''); // comments may quote the pattern
    for (const m of code.matchAll(/new URL\(([^;]*?),\s*import\.meta\.url/g)) {
      if (/^\s*['"`][^'"`]*['"`]\s*$/.test(m[1]!)) literalUrls.push(`${file}: ${m[0]}`);
      else if (!/webpackIgnore:\s*true/.test(m[1]!)) unmarked.push(`${file}: ${m[0]}`);
    }
    for (const m of code.matchAll(/\bimport\(([^)'"`]*?)([A-Za-z_$][\w$]*)\s*\)/g)) {
      if (!/@vite-ignore/.test(m[1]!) || !/webpackIgnore:\s*true/.test(m[1]!)) unmarked.push(`${file}: ${m[0]}`);
    }
  }
  expect(literalUrls).toEqual([]);
  expect(unmarked).toEqual([]);
  // tfjs-core and its cpu backend, not the layers or WebGL packages of @tensorflow/tfjs.
  // With the ops' gradients and the chained ops, which @tensorflow/tfjs registered.
  for (const part of ['tfjs-core/dist/index.js', 'tfjs-core/dist/register_all_gradients.js', 'tfjs-core/dist/public/chained_ops/register_all_chained_ops.js', 'tfjs-backend-cpu/']) {
    expect(inputs.some((f) => f.includes(`node_modules/@tensorflow/${part}`)), part).toBe(true);
  }
  expect(inputs.filter((f) => /node_modules\/@tensorflow\/tfjs(-layers|-backend-webgl|-converter|-data)?\//.test(f))).toEqual([]);
}, 60_000);
