/**
 * With the second-order fix installed (the default of initBackend), the full
 * second-order MAML meta-gradient and the third-order Hessian-vector product
 * of a KL through one adaptation step match float64 finite differences, on
 * the cpu and on the wasm backend (the latter with its kernel overrides).
 * The same checks with the fix off are in second-order-bug.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, secondOrderFixInstalled } from '../../src/backend.ts';
import { checkSecondOrderGradients } from '../../src/tfjs-second-order-fix.ts';
import { wasmKernelFixesInstalled } from '../../src/wasm-kernels.ts';
import { checkKlHvp, checkMetaGradient, makeProblem, referenceSelfCheck } from './maml-fd-helpers.ts';

const TOL = 1e-2;
const problem = makeProblem();

it('the float64 reference (hand-written inner gradient) is itself consistent', () => {
  expect(referenceSelfCheck(problem)).toBeLessThan(1e-6);
});

describe.each(['cpu', 'wasm'] as const)('second-order gradients on %s with the fix', (backend) => {
  beforeAll(async () => {
    const lines: string[] = [];
    const res = await initBackend(backend, { log: (l) => lines.push(l) });
    expect(res.backend).toBe(backend);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^metarl: backend ${backend} \\(tfjs 4\\.22\\.0, second-order fix on`));
  }, 30_000);

  it('is installed and makes grad(grad(tanh)) work', () => {
    expect(tf.getBackend()).toBe(backend);
    expect(secondOrderFixInstalled()).toBe(true);
    if (backend === 'wasm') expect(wasmKernelFixesInstalled()).toBe(true);
    expect(checkSecondOrderGradients()).toBeLessThan(1e-5);
  });

  it('full second-order MAML meta-gradient matches float64 central differences', async () => {
    const res = await checkMetaGradient(problem);
    for (const e of res.directional) expect(e).toBeLessThan(TOL);
    expect(res.vector).toBeLessThan(TOL);
  }, 30_000);

  it('Hessian-vector product of the KL through one adaptation step (third order) matches', async () => {
    const res = await checkKlHvp(problem);
    for (const e of res.directional) expect(e).toBeLessThan(TOL);
    expect(res.vector).toBeLessThan(TOL);
  }, 30_000);

  it('does not leak tensors across a meta-gradient', async () => {
    await checkMetaGradient(problem, 1); // warm-up
    const before = tf.memory().numTensors;
    await checkMetaGradient(problem, 1);
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);
});
