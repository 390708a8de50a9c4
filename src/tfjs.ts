/**
 * tfjs for metarl's modules, which import it as `import * as tf from '#tfjs'` (package.json's
 * "imports"): tfjs-core, with the ops' gradients, the chained ops (`t.reshape`) and the cpu backend
 * registered. In Node, `@tensorflow/tfjs`'s Node build is what registers them (tfjs-core's own
 * registration files are ES modules Node cannot load), so it is loaded here for that.
 *
 * It is loaded with `require`, not `import`: Node imports a CommonJS package by first scanning its
 * source for the names it exports, and for `@tensorflow/tfjs` that scan follows its re-exports
 * through tfjs-core, layers, converter, cpu and WebGL (5.4 MB of code); re-exporting tfjs-core
 * alone scans 1.2 MB. Every `metarl` command loads tfjs. Measured on the project machine (2 cores,
 * Node 20.20, nothing else running, 2026-12-07; seven runs each, `node --input-type=module -e`
 * timing the import with `performance.now()`): `await import('@tensorflow/tfjs')` took 452–567 ms
 * (median 546), this way 290–393 ms (median 320). A command refused at once (`node bin/metarl.mjs
 * train --env Nope-v0`, eight runs each, alternated) took 1.09–1.46 s before (median 1.32) and
 * 1.02–1.26 s with this (median 1.18).
 *
 * Bundled for a page (the "browser" condition), ./tfjs-page.ts is used instead. Elsewhere (a
 * bundler without that condition, a Node older than 20.16 without `process.getBuiltinModule`),
 * the whole `@tensorflow/tfjs` is imported as before.
 */
export * from '@tensorflow/tfjs-core';

// Typed here, not as `typeof import('node:module')`: a page's project has no Node types.
type GetBuiltin = (id: 'node:module') => { createRequire(url: string): (id: string) => unknown };
const getBuiltin = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process?.getBuiltinModule;
if (getBuiltin) getBuiltin('node:module').createRequire(import.meta.url)('@tensorflow/tfjs');
else await import('@tensorflow/tfjs');
