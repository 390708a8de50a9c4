// tsx turns Node's source maps on (for TypeScript stack traces), and Node then reads and parses the
// source map of every module it loads, tfjs's large bundles included. Loading tfjs first with them
// off keeps the maps of metarl's own modules (and an env module's), which load after. Measured on
// the project machine (2 cores, Node 20, nothing else running), a command refused at once
// (`node bin/metarl.mjs train --env Nope-v0`, five runs each) took 1.15–1.17 s on commit 42bb8a9
// (a first run 1.58 s) and 0.97–1.01 s with this (2026-12-07).

import { createRequire } from 'node:module';

/**
 * Loads tfjs (as src/tfjs.ts does: `@tensorflow/tfjs` required, tfjs-core imported) and its wasm
 * backend's module with source maps off, then restores the setting.
 */
export async function preloadTfjs() {
  const maps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    createRequire(import.meta.url)('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
  } finally {
    process.setSourceMapsEnabled(maps);
  }
}
