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
 * Node only (the `node` condition of package.json's "imports"); a page's bundle uses
 * ./tfjs-page.ts, and anything else ./tfjs-default.ts.
 */
import { createRequire } from 'node:module';

export * from '@tensorflow/tfjs-core';

createRequire(import.meta.url)('@tensorflow/tfjs');
