/**
 * tfjs for metarl's modules, which import it as `import * as tf from '#tfjs'` (package.json's
 * "imports"). In Node this is the whole `@tensorflow/tfjs` package: its Node build is the one that
 * registers the ops' gradients and the chained ops (`t.reshape`) with tfjs-core. Bundled for a page
 * (the "browser" condition), ./tfjs-page.ts is used instead: the same core, without the modules
 * metarl does not use there.
 */
export * from '@tensorflow/tfjs';
