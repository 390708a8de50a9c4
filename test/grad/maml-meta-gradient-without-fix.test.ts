// Negative control: with the second-order fix switched off, tfjs 4.22 computes the MAML
// meta-gradient wrongly and the finite-difference check of maml-meta-gradient.test.ts catches it.
// If this test fails, either tfjs changed (re-examine src/tfjs-second-order-fix.ts) or the
// check lost its power.
import { beforeAll, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { at, makeObjective, worstDirectionalError } from './maml-fixture.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {}, secondOrderFix: false });
});

it('without the fix the meta-gradient fails the finite-difference check', () => {
  const { obj, theta, rng } = makeObjective(11);
  const { grad } = at(theta, null, 0, (t) => obj.metaGradient(t));
  expect(worstDirectionalError(theta, grad, (t) => obj.evaluate(t).loss, rng.fork('fd'))).toBeGreaterThan(0.1);
});
