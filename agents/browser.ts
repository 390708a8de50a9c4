/**
 * The browser-safe part of metarl in one import (`import … from 'metarl/browser'`): the core
 * (`src/core.ts`), the env registry with the built-in envs (Omniglot, read from files, is Node only)
 * and the env checker, the env factory of a config, and {@link MamlTrpo} to meta-train in a page
 * (with one worker). Nothing here imports a Node built-in, so an ESM bundler (Vite, esbuild, …)
 * takes it as it is; the demo page (`demo/main.ts`) is built from it, and its build fails if that
 * ever changes. The tfjs wasm backend needs its `.wasm` files served, and their URL given as
 * `initBackend('wasm', { wasmPaths })` (as `demo/main.ts` does); the backend's package is loaded
 * only then, so a page on another backend does not carry it.
 */
export * from '../src/core.ts';
export * from '../envs/index.ts';
export { envFactory } from '../envs/factory.ts';
export { MamlTrpo, type MamlTrpoOptions, type StepLogs } from './maml-trpo.ts';
