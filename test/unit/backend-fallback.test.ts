/**
 * When `auto` cannot start wasm (in a page, .wasm files not where `wasmPaths` says), it runs on cpu:
 * slower and with other numbers. Its line says so and why (found by a trial in a Web Worker, where
 * the fallback was silent). Its own file: the failed wasm start stays in this process's tfjs.
 * And the wasm failure's hint in a page says where tfjs looked, and, in a worker, that a relative
 * URL resolves against the worker's script.
 */
import { expect, it } from 'vitest';
import { initBackend, wasmPathsHint } from '../../src/backend.ts';

it("auto falls back to cpu when wasm does not start, and its line says why", async () => {
  const lines: string[] = [];
  const { backend } = await initBackend('auto', { wasmPaths: '/nowhere/tfjs-wasm/', log: (l) => lines.push(l) });
  expect(backend).toBe('cpu');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^metarl: backend cpu \(tfjs 4\.22\.0, second-order fix on, auto took cpu: backend 'wasm' failed to initialise/);
}, 30_000);

it('the wasm hint names the URL tfjs looked in, and the worker case', () => {
  const page = wasmPathsHint('tfjs-wasm/', 'https://example.org/app/index.html', false);
  expect(page).toContain('tfjs looked in https://example.org/app/tfjs-wasm/;');
  expect(page).not.toContain('Web Worker');
  const worker = wasmPathsHint('tfjs-wasm/', 'https://example.org/assets/train.worker-x1.js', true);
  expect(worker).toContain('tfjs looked in https://example.org/assets/tfjs-wasm/; in a Web Worker a relative URL resolves against the worker\'s script');
  // From the root: nothing to say about workers.
  expect(wasmPathsHint('/tfjs-wasm/', 'https://example.org/assets/w.js', true)).not.toContain('Web Worker');
  expect(wasmPathsHint(undefined, 'https://example.org/assets/w.js', true)).toContain('no wasmPaths was given, so tfjs looked beside the script that loaded it; in a Web Worker');
});
