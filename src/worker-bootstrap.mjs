// Entry of every WorkerPool thread (src/worker-pool.ts). Loader hooks registered in the main
// thread (tsx) do not reach worker threads in Node 20, so a worker whose module (workerData.entry)
// is TypeScript registers tsx itself; one of the compiled build (scripts/build.mjs, a `.js`) needs
// none, and starts about half a second sooner.
import { workerData } from 'node:worker_threads';
import { preloadTfjs } from './preload-tfjs.mjs';

if (workerData.entry.endsWith('.js')) process.setSourceMapsEnabled(true); // stack traces in TypeScript lines, as under tsx
else (await import('tsx/esm/api')).register();
// Every worker loads tfjs: first, without reading its source maps (see preload-tfjs.mjs).
await preloadTfjs();
await import(workerData.entry);
