/**
 * tfjs for metarl in a page (package.json's "imports" maps `#tfjs` here under the "browser"
 * condition, which Vite and webpack set, unless "node" is set too, as in Node run with
 * `--conditions=browser`: Node cannot load these ESM files of tfjs-core): tfjs-core with its
 * gradients and chained ops, and the cpu backend, which runs the ops made before `initBackend`
 * picks one (the wasm backend is loaded by `initBackend`). `@tensorflow/tfjs` would also bundle the layers, converter, data and WebGL
 * modules, which metarl does not use: about half the page's JavaScript (README, "Browser demo").
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
