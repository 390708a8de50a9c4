/**
 * The wasm BatchMatMul and Tanh overrides (src/wasm-kernels.ts) agree with
 * the cpu backend (and, for matmul, with a float64 JS reference), including
 * their first and second derivatives, and do not leak wasm tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/wasm-kernels.ts';
import { normals } from './maml-fd-helpers.ts';

const rnd = normals(5);
const randomArray = (n: number): Float32Array => Float32Array.from({ length: n }, () => rnd());
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Runs `fn` on `backend` and returns its outputs as plain arrays; switches back to wasm. */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  try {
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const vals = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose(list);
    return vals;
  } finally {
    await tf.setBackend('wasm');
  }
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d / scale;
}

/** float64 reference of tf.matMul with numpy-style batch broadcasting. */
function matMulRef(a: Float32Array, sa: number[], b: Float32Array, sb: number[], ta: boolean, tb: boolean) {
  const ra = sa.length;
  const rb = sb.length;
  const m = ta ? sa[ra - 1] : sa[ra - 2];
  const k = ta ? sa[ra - 2] : sa[ra - 1];
  const n = tb ? sb[rb - 2] : sb[rb - 1];
  const ba = sa.slice(0, -2);
  const bb = sb.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  const pa = [...Array(rank - ba.length).fill(1), ...ba];
  const pb = [...Array(rank - bb.length).fill(1), ...bb];
  const bo = pa.map((x, i) => Math.max(x, pb[i]));
  const out = new Float64Array(size(bo) * m * n);
  for (let o = 0; o < size(bo); o++) {
    let ia = 0;
    let ib = 0;
    let rest = o;
    let strideA = 1;
    let strideB = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % bo[d];
      rest = Math.floor(rest / bo[d]);
      if (pa[d] !== 1) ia += c * strideA;
      if (pb[d] !== 1) ib += c * strideB;
      strideA *= pa[d];
      strideB *= pb[d];
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = ta ? a[ia * m * k + q * m + i] : a[ia * m * k + i * k + q];
          const bv = tb ? b[ib * k * n + j * k + q] : b[ib * k * n + q * n + j];
          s += av * bv;
        }
        out[o * m * n + i * n + j] = s;
      }
    }
  }
  return { out, shape: [...bo, m, n] };
}

interface Case {
  batchA: number[];
  batchB: number[];
  m: number;
  k: number;
  n: number;
}

const CASES: Case[] = [
  { batchA: [], batchB: [], m: 5, k: 3, n: 4 },
  { batchA: [], batchB: [], m: 37, k: 65, n: 29 },
  { batchA: [1], batchB: [1], m: 6, k: 7, n: 3 },
  { batchA: [3], batchB: [3], m: 6, k: 7, n: 5 },
  { batchA: [2, 3], batchB: [2, 3], m: 4, k: 9, n: 2 },
  { batchA: [3], batchB: [], m: 6, k: 7, n: 5 }, // shared weights: batches folded into rows
  { batchA: [3], batchB: [1], m: 6, k: 7, n: 5 },
  { batchA: [], batchB: [3], m: 6, k: 7, n: 5 },
  { batchA: [1], batchB: [4], m: 2, k: 8, n: 6 },
  { batchA: [2, 1], batchB: [1, 3], m: 3, k: 4, n: 5 }, // general broadcasting (cpu gets this wrong)
];

/** cpu's kernel only broadcasts when one side has a single batch or both are equal. */
const cpuSupports = (c: Case): boolean =>
  size(c.batchA) === 1 || size(c.batchB) === 1 || c.batchA.join() === c.batchB.join();

/** tfjs's BatchMatMul gradient does not reduce over broadcast batch dimensions. */
const gradSupported = (c: Case): boolean => c.batchA.join() === c.batchB.join();

function label(c: Case, ta: boolean, tb: boolean): string {
  return `[${c.batchA}|${c.m}x${c.k}]${ta ? 'T' : ''} x [${c.batchB}|${c.k}x${c.n}]${tb ? 'T' : ''}`;
}

beforeAll(async () => {
  // Initialise cpu first so that its first-use banner is suppressed, then wasm.
  await initBackend('cpu', { log: () => undefined });
  await initBackend('wasm', { log: () => undefined });
  expect(wasmKernelFixesInstalled()).toBe(true);
}, 30_000);

describe('wasm BatchMatMul override', () => {
  const combos: [boolean, boolean][] = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  for (const c of CASES) {
    for (const [ta, tb] of combos) {
      it(label(c, ta, tb), async () => {
        const sa = ta ? [...c.batchA, c.k, c.m] : [...c.batchA, c.m, c.k];
        const sb = tb ? [...c.batchB, c.n, c.k] : [...c.batchB, c.k, c.n];
        const a = randomArray(size(sa));
        const b = randomArray(size(sb));
        const ref = matMulRef(a, sa, b, sb, ta, tb);
        const fwd = () => tf.matMul(tf.tensor(a, sa), tf.tensor(b, sb), ta, tb);

        const outShape = tf.tidy(() => fwd().shape);
        expect(outShape).toEqual(ref.shape);
        const [w] = await on('wasm', fwd);
        expect(maxRelDiff(w, ref.out)).toBeLessThan(1e-5);
        if (cpuSupports(c)) {
          const [cp] = await on('cpu', fwd);
          expect(maxRelDiff(w, cp)).toBeLessThan(1e-5);
        }
        if (gradSupported(c)) {
          const outSize = size(ref.shape);
          const wOut = randomArray(outSize);
          // d/da, d/db of sum(w * matMul(a, b)), and a second derivative
          // (gradient of |d/da|^2 w.r.t. b) to exercise transposed matmuls
          // inside backward passes of backward passes.
          const grads = () => {
            const at = tf.tensor(a, sa);
            const bt = tf.tensor(b, sb);
            const wt = tf.tensor(wOut, ref.shape);
            const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(wt, tf.matMul(x, y, ta, tb)));
            const [ga, gb] = tf.grads(f)([at, bt]);
            const g2 = tf.grad((y: tf.Tensor) => tf.sum(tf.square(tf.grad((x: tf.Tensor) => f(x, y))(at))))(bt);
            return [ga, gb, g2];
          };
          const gw = await on('wasm', grads);
          const gc = await on('cpu', grads);
          for (let i = 0; i < gw.length; i++) expect(maxRelDiff(gw[i], gc[i])).toBeLessThan(1e-5);
        }
      });
    }
  }

  it('does not leak wasm tensor data and agrees with the stock kernel', async () => {
    const a = tf.tensor(randomArray(4 * 60 * 70), [4, 60, 70]);
    const b = tf.tensor(randomArray(4 * 50 * 70), [4, 50, 70]);
    const backend = tf.backend();
    const warm = tf.matMul(a, b, false, true);
    warm.dispose();
    const ids = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    const fixed = tf.matMul(a, b, false, true);
    expect(backend.numDataIds()).toBe(ids + 1);
    expect(tf.memory().numTensors).toBe(tensors + 1);
    const fixedVals = fixed.dataSync();
    fixed.dispose();
    uninstallWasmKernelFixes();
    try {
      const stock = tf.matMul(a, b, false, true);
      expect(maxRelDiff(fixedVals, stock.dataSync())).toBeLessThan(1e-5);
      stock.dispose();
    } finally {
      installWasmKernelFixes();
    }
    expect(wasmKernelFixesInstalled()).toBe(true);
    tf.dispose([a, b]);
  });
});

describe('wasm Tanh override', () => {
  const xs = Float32Array.from([
    ...Array.from({ length: 2001 }, (_, i) => (i - 1000) / 100), // [-10, 10]
    0, 1e-30, -1e-8, 3e-5, -0.0999, 0.0999999, 0.1, -0.1, 0.1000001, 15, -40, 100,
    ...randomArray(500),
  ]);

  it('matches the cpu backend to 1e-6 absolute, and relatively near 0', async () => {
    const f = () => tf.tanh(tf.tensor1d(xs));
    const [w] = await on('wasm', f);
    const [c] = await on('cpu', f);
    let abs = 0;
    let rel = 0;
    for (let i = 0; i < xs.length; i++) {
      abs = Math.max(abs, Math.abs(w[i] - c[i]));
      if (Math.abs(xs[i]) < 0.5 && c[i] !== 0) rel = Math.max(rel, Math.abs(w[i] - c[i]) / Math.abs(c[i]));
    }
    expect(abs).toBeLessThan(1e-6);
    expect(rel).toBeLessThan(5e-6);
    for (const v of w) expect(Number.isFinite(v)).toBe(true);
  });

  it('first and second derivatives match the cpu backend', async () => {
    const x = xs.slice(0, 2001);
    const f = () => {
      const t = tf.tensor1d(x);
      const d1 = tf.grad((z: tf.Tensor) => tf.tanh(z))(t);
      const d2 = tf.grad(tf.grad((z: tf.Tensor) => tf.tanh(z)))(t);
      return [d1, d2];
    };
    const w = await on('wasm', f);
    const c = await on('cpu', f);
    expect(maxRelDiff(w[0], c[0])).toBeLessThan(1e-6);
    expect(maxRelDiff(w[1], c[1])).toBeLessThan(1e-6);
  });

  it('handles empty and rank-3 inputs', async () => {
    const [e] = await on('wasm', () => tf.tanh(tf.tensor1d([])));
    expect(e.length).toBe(0);
    const x3 = randomArray(2 * 3 * 4);
    const [w] = await on('wasm', () => tf.tanh(tf.tensor3d(x3, [2, 3, 4])));
    const [c] = await on('cpu', () => tf.tanh(tf.tensor3d(x3, [2, 3, 4])));
    expect(maxRelDiff(w, c)).toBeLessThan(1e-6);
  });
});

describe('MLP loss gradient on wasm (both overrides) vs cpu', () => {
  it('agrees to 1e-5', async () => {
    const obs = randomArray(300 * 2);
    const w1 = randomArray(2 * 32).map((v) => v * 0.7);
    const w2 = randomArray(32 * 32).map((v) => v * 0.2);
    const w3 = randomArray(32 * 2).map((v) => v * 0.2);
    const target = randomArray(300 * 2);
    const f = () => {
      const params = [tf.tensor2d(w1, [2, 32]), tf.tensor2d(w2, [32, 32]), tf.tensor2d(w3, [32, 2])];
      const loss = (p1: tf.Tensor, p2: tf.Tensor, p3: tf.Tensor) => {
        const h1 = tf.tanh(tf.matMul(tf.tensor2d(obs, [300, 2]), p1));
        const h2 = tf.tanh(tf.matMul(h1, p2));
        return tf.mean(tf.square(tf.sub(tf.matMul(h2, p3), tf.tensor2d(target, [300, 2]))));
      };
      return tf.grads(loss)(params);
    };
    const w = await on('wasm', f);
    const c = await on('cpu', f);
    for (let i = 0; i < w.length; i++) expect(maxRelDiff(w[i], c[i])).toBeLessThan(1e-5);
  });
});
