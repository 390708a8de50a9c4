// Entry of every WorkerPool thread (src/worker-pool.ts). Loader hooks registered in the main
// thread (tsx) do not reach worker threads in Node 20, so each worker registers tsx itself, then
// imports the TypeScript module named in workerData.entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';
import { preloadTfjs } from './preload-tfjs.mjs';

register();
// Every worker loads tfjs: first, without reading its source maps (see preload-tfjs.mjs).
await preloadTfjs();
await import(workerData.entry);
