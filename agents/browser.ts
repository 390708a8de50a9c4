/**
 * The browser-safe part of metarl in one import (`import … from 'metarl/browser'`): the core
 * (`src/core.ts`), the env registry with the built-in envs (Omniglot, read from files, is Node only)
 * and the env checker, the env factory of a config, and {@link MamlTrpo} to meta-train in a page
 * (with one worker). Nothing here imports a Node built-in, so an ESM bundler (Vite, esbuild, …)
 * takes it as it is; the demo page (`demo/main.ts`) is built from it, and its build fails if that
 * ever changes. The tfjs wasm backend needs its `.wasm` files served and `setWasmPaths` called
 * before `initBackend('wasm')` (as `demo/main.ts` does).
 */
export * from '../src/core.ts';
export * from '../envs/index.ts';
export { envFactory } from '../envs/factory.ts';
export { MamlTrpo, type MamlTrpoOptions, type StepLogs } from './maml-trpo.ts';
// Where a page serves the wasm backend's .wasm files (call before initBackend('wasm')): the
// @tensorflow/tfjs-backend-wasm that metarl depends on, so a page need not depend on it too.
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
