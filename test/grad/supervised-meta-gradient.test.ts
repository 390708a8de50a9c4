// Finite-difference checks of the supervised meta-gradients (MAML and Meta-SGD) on the sine
// regressor. Differences are taken on a float64 re-implementation (forward and hand-written
// backprop) so float32 rounding does not drown the check; the regressor uses tanh here because
// central differences across ReLU kinks are unreliable (the code path is the same).
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.ts';
import { MlpRegressor, SupervisedObjective, batchTensors } from '../../src/supervised.ts';
import { SineRegressionEnv } from '../../envs/sine-regression.ts';
import { createRng } from '../../src/rng.ts';
import { dot, flattenValues, unflattenValues } from '../../src/params.ts';
import type { LabelledBatch } from '../../src/types.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const SIZES = [1, 12, 12, 1];

/** Float64 MSE loss of a tanh MLP and its gradient, parameters [W1,b1,W2,b2,W3,b3] flat. */
function lossAndGrad64(p: Float64Array, b: LabelledBatch): { loss: number; grad: Float64Array } {
  const L = SIZES.length - 1;
  const offs: number[] = [];
  let o = 0;
  for (let l = 0; l < L; l++) {
    offs.push(o, o + SIZES[l]! * SIZES[l + 1]!);
    o += SIZES[l]! * SIZES[l + 1]! + SIZES[l + 1]!;
  }
  const grad = new Float64Array(p.length);
  let loss = 0;
  for (let r = 0; r < b.n; r++) {
    const acts: Float64Array[] = [Float64Array.of(b.x[r]!)];
    for (let l = 0; l < L; l++) {
      const [wi, bi] = [offs[2 * l]!, offs[2 * l + 1]!];
      const out = new Float64Array(SIZES[l + 1]!);
      for (let j = 0; j < out.length; j++) {
        let s = p[bi + j]!;
        for (let k = 0; k < SIZES[l]!; k++) s += acts[l]![k]! * p[wi + k * out.length + j]!;
        out[j] = l < L - 1 ? Math.tanh(s) : s;
      }
      acts.push(out);
    }
    const e = acts[L]![0]! - (b.y as Float32Array)[r]!;
    loss += (e * e) / b.n;
    let delta = Float64Array.of((2 * e) / b.n);
    for (let l = L - 1; l >= 0; l--) {
      const [wi, bi] = [offs[2 * l]!, offs[2 * l + 1]!];
      const nOut = SIZES[l + 1]!;
      const prev = new Float64Array(SIZES[l]!);
      for (let j = 0; j < nOut; j++) {
        grad[bi + j] += delta[j]!;
        for (let k = 0; k < SIZES[l]!; k++) {
          grad[wi + k * nOut + j] += acts[l]![k]! * delta[j]!;
          prev[k] += p[wi + k * nOut + j]! * delta[j]!;
        }
      }
      if (l > 0) for (let k = 0; k < prev.length; k++) prev[k] *= 1 - acts[l]![k]! ** 2;
      delta = prev;
    }
  }
  return { loss, grad };
}

/** θ after each of `steps` inner steps θ ← θ − α ⊙ ∇L_support(θ) (α scalar or per parameter). */
function path64(theta: Float64Array, alpha: Float64Array | number, s: LabelledBatch, steps: number): Float64Array[] {
  const out: Float64Array[] = [];
  let cur = theta;
  for (let k = 0; k < steps; k++) {
    const { grad } = lossAndGrad64(cur, s);
    cur = cur.map((v, i) => v - (typeof alpha === 'number' ? alpha : alpha[i]!) * grad[i]!);
    out.push(cur);
  }
  return out;
}

/** Query loss after `steps` inner steps, or with `multi` its mean over steps 1…steps. */
function metaObjective64(theta: Float64Array, alpha: Float64Array | number, s: LabelledBatch, q: LabelledBatch, steps: number, multi = false): number {
  const path = path64(theta, alpha, s, steps);
  const used = multi ? path : path.slice(-1);
  return used.reduce((a, p) => a + lossAndGrad64(p, q).loss, 0) / used.length;
}

/** ‖a − b‖ / ‖a‖. */
function relDiff(a: Float64Array, b: Float64Array): number {
  const d = a.map((v, i) => v - b[i]!);
  return Math.sqrt(dot(d, d) / dot(a, a));
}

/** A sine task's support and query batches and a tanh regressor's initial θ, all from `seed`. */
function fixture(seed: number) {
  const env = new SineRegressionEnv();
  const rng = createRng(seed);
  const model = new MlpRegressor(1, SIZES.slice(1, -1), 1, 'tanh');
  const task = env.sampleTasks(1, rng.fork('task'))[0]!;
  const s = env.sampleBatch(task, 10, rng.fork('s'));
  const q = env.sampleBatch(task, 10, rng.fork('q'));
  const theta = model.init(rng.fork('init'));
  const tensors = (b: LabelledBatch) => batchTensors(b, [1], 1, 'mse');
  return { rng, model, s, q, theta, tensors };
}

/** `obj`'s meta-gradient at the flat meta-parameters `x0` (shaped like `like`). */
function metaGradAt(obj: SupervisedObjective, x0: Float64Array, like: Float32Array[], shapes: readonly number[][]) {
  const t = unflattenValues(x0, like).map((v, i) => tf.tensor(v, shapes[i]));
  const r = obj.metaGradient(t);
  tf.dispose(t);
  return r;
}

it.each([
  ['MAML', false, false],
  ['Meta-SGD', true, false],
  ['MAML, multi-step loss', false, true],
  ['Meta-SGD, multi-step loss', true, true],
])('%s meta-gradient matches float64 central differences along random directions', (_name, learnedLr, multi) => {
  const { rng, model, s, q, theta, tensors } = fixture(5);
  for (let i = 1; i < theta.length; i += 2) for (let j = 0; j < theta[i]!.length; j++) theta[i]![j] = 0.3 * rng.normal();
  const alpha = theta.map((p) => new Float32Array(p.length).map(() => 0.02 + 0.04 * rng.uniform()));
  const meta = learnedLr ? [...theta, ...alpha] : theta;
  const shapes = learnedLr ? [...model.shapes, ...model.shapes] : model.shapes;
  const steps = 2;
  const fastLr = 0.05;
  const obj = new SupervisedObjective(model, 'mse', tensors(s), tensors(q), { fastLr, numInnerSteps: steps, firstOrder: false, learnedLr: learnedLr as boolean, multiStepLoss: multi as boolean });
  const x0 = flattenValues(meta);
  const { grad } = metaGradAt(obj, x0, meta, shapes);
  const nTheta = model.numParams;
  const f = (x: Float64Array) => metaObjective64(x.subarray(0, nTheta), learnedLr ? x.subarray(nTheta) : fastLr, s, q, steps, multi as boolean);
  const eps = 1e-5;
  let worst = 0;
  for (let j = 0; j < 3; j++) {
    const r = rng.fork('dir', j);
    const d = new Float64Array(x0.length).map(() => r.normal());
    const norm = Math.sqrt(dot(d, d));
    for (let i = 0; i < d.length; i++) d[i] /= norm;
    const fd = (f(x0.map((v, i) => v + eps * d[i]!)) - f(x0.map((v, i) => v - eps * d[i]!))) / (2 * eps);
    const an = dot(grad, d);
    worst = Math.max(worst, Math.abs(fd - an) / Math.max(Math.abs(fd), Math.abs(an)));
  }
  expect(worst).toBeLessThan(1e-2);
  if (multi) {
    // The check sees the averaging: the last-step-only gradient is measurably different.
    const single = new SupervisedObjective(model, 'mse', obj.support, obj.query, { ...obj.adaptation, multiStepLoss: false });
    expect(relDiff(grad, metaGradAt(single, x0, meta, shapes).grad)).toBeGreaterThan(0.02);
    // The reported loss is the one after the last step, not the mean.
    const { loss } = metaGradAt(obj, x0, meta, shapes);
    expect(loss).toBeCloseTo(metaObjective64(x0.subarray(0, nTheta), learnedLr ? x0.subarray(nTheta) : fastLr, s, q, steps), 4);
  }
  // The check sees the second-order term: the first-order gradient is measurably different.
  if (!learnedLr && !multi) {
    const fo = new SupervisedObjective(model, 'mse', obj.support, obj.query, { fastLr, numInnerSteps: steps, firstOrder: true });
    expect(relDiff(grad, metaGradAt(fo, x0, meta, shapes).grad)).toBeGreaterThan(0.02);
  }
});

it('first-order MAML takes the query gradient at the last adapted θ, or with the multi-step loss their mean over every step', () => {
  const { model, s, q, theta, tensors } = fixture(8);
  const steps = 3;
  const fastLr = 0.05;
  const obj = new SupervisedObjective(model, 'mse', tensors(s), tensors(q), { fastLr, numInnerSteps: steps, firstOrder: true, multiStepLoss: true });
  const x0 = flattenValues(theta);
  const { grad } = metaGradAt(obj, x0, theta, model.shapes);
  // Expected: mean over k of ∇L_query at θ′ₖ, the θ′ₖ taken as constants offsets from θ.
  const expected = new Float64Array(x0.length);
  for (const p of path64(Float64Array.from(x0), fastLr, s, steps)) {
    const g = lossAndGrad64(p, q).grad;
    for (let i = 0; i < g.length; i++) expected[i] += g[i]! / steps;
  }
  const last = lossAndGrad64(path64(Float64Array.from(x0), fastLr, s, steps)[steps - 1]!, q).grad;
  expect(relDiff(expected, grad)).toBeLessThan(1e-3);
  expect(relDiff(expected, last)).toBeGreaterThan(0.01);
  // Without the multi-step loss, first-order MAML takes the query gradient at the last θ′ only.
  const single = new SupervisedObjective(model, 'mse', obj.support, obj.query, { ...obj.adaptation, multiStepLoss: false });
  expect(relDiff(last, metaGradAt(single, x0, theta, model.shapes).grad)).toBeLessThan(1e-3);
});
