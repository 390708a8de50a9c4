// The few-shot conv net (src/conv-net.ts) on wasm:
//  - why it does not use tf.conv2d (the missing kernel / gradient, shown here so a tfjs upgrade
//    that fixes them is noticed), and that its im2col convolution equals tf.conv2d;
//  - the full second-order MAML meta-gradient (inner: cross-entropy on the support set, one SGD
//    step on all parameters or, for ANIL, on the head; outer: cross-entropy on the query set)
//    against central finite differences of a float64 re-implementation in plain JS.
//
// Finite differences and ReLU: the meta-objective F(θ) = L_q(θ − α∇L_s(θ)) contains the inner
// gradient, which jumps where a ReLU input crosses 0, so a single crossing inside [θ − εd, θ + εd]
// would ruin a difference quotient (a jump divided by 2ε). The reference therefore records the
// sign of every ReLU input (support at θ, query at θ′) at θ ± εd and the test asserts they equal
// those at θ, i.e. F is smooth on the segment. Small steps along unit-norm directions make a
// crossing unlikely (and it is detected if it happens): ε = 1e-6 for the tiny nets, 1e-7 for the
// full-size net, whose ~2.5·10⁵ ReLU inputs include some within 1e-5 of 0. Differences are taken
// in float64 on parameters and data rounded to float32, so FD noise (≲1e-7 relative) is far
// below the 1e-2 tolerance and the float32 error of the tfjs gradient being checked. The first-
// order MAML gradient fails the same check (errors 70–90 %), so the check does see the
// second-order terms.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { conv2dSame, ConvNet, type ConvNetConfig } from '../../src/conv-net.ts';
import { createRng, type Rng } from '../../src/rng.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

// --- float64 reference ------------------------------------------------------------------------

interface Net64 {
  cfg: ConvNetConfig;
  shapes: number[][];
}

interface Data {
  x: Float64Array; // [B, S, S, C]
  y: Int32Array;
  n: number;
}

interface BlockCache {
  input: Float64Array;
  inShape: [number, number, number, number];
  z: Float64Array; // conv output (pre-BN)
  xhat: Float64Array;
  inv: Float64Array; // per channel 1/sqrt(var + eps)
  pre: Float64Array; // BN output = ReLU input
  outShape: [number, number, number, number];
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function split(shapes: number[][], flat: Float64Array): Float64Array[] {
  let o = 0;
  return shapes.map((s) => {
    const v = flat.slice(o, o + size(s));
    o += size(s);
    return v;
  });
}

const concat = (parts: Float64Array[]): Float64Array => {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

function pads(h: number, k: number, s: number): { out: number; top: number } {
  const out = Math.ceil(h / s);
  return { out, top: Math.floor(Math.max((out - 1) * s + k - h, 0) / 2) };
}

function conv64(x: Float64Array, [b, h, w, c]: number[], wt: Float64Array, k: number, o: number, s: number) {
  const ph = pads(h, k, s);
  const pw = pads(w, k, s);
  const out = new Float64Array(b * ph.out * pw.out * o);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < ph.out; i++) {
      for (let j = 0; j < pw.out; j++) {
        const ob = ((n * ph.out + i) * pw.out + j) * o;
        for (let kh = 0; kh < k; kh++) {
          const r = i * s + kh - ph.top;
          if (r < 0 || r >= h) continue;
          for (let kw = 0; kw < k; kw++) {
            const col = j * s + kw - pw.top;
            if (col < 0 || col >= w) continue;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[((n * h + r) * w + col) * c + ci]!;
              const wb = ((kh * k + kw) * c + ci) * o;
              for (let q = 0; q < o; q++) out[ob + q] += xv * wt[wb + q]!;
            }
          }
        }
      }
    }
  }
  return { out, shape: [b, ph.out, pw.out, o] as [number, number, number, number] };
}

function conv64Backward(x: Float64Array, [b, h, w, c]: number[], wt: Float64Array, k: number, o: number, s: number, dout: Float64Array) {
  const ph = pads(h, k, s);
  const pw = pads(w, k, s);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(wt.length);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < ph.out; i++) {
      for (let j = 0; j < pw.out; j++) {
        const ob = ((n * ph.out + i) * pw.out + j) * o;
        for (let kh = 0; kh < k; kh++) {
          const r = i * s + kh - ph.top;
          if (r < 0 || r >= h) continue;
          for (let kw = 0; kw < k; kw++) {
            const col = j * s + kw - pw.top;
            if (col < 0 || col >= w) continue;
            for (let ci = 0; ci < c; ci++) {
              const xi = ((n * h + r) * w + col) * c + ci;
              const wb = ((kh * k + kw) * c + ci) * o;
              let acc = 0;
              const xv = x[xi]!;
              for (let q = 0; q < o; q++) {
                acc += dout[ob + q]! * wt[wb + q]!;
                dw[wb + q] += xv * dout[ob + q]!;
              }
              dx[xi] += acc;
            }
          }
        }
      }
    }
  }
  return { dx, dw };
}

/** Forward pass; returns logits and what backprop needs. */
function forward64(net: Net64, p: Float64Array[], d: Data) {
  const { cfg } = net;
  let h = d.x;
  let shape: [number, number, number, number] = [d.n, cfg.inputSize, cfg.inputSize, cfg.inputChannels];
  const blocks: BlockCache[] = [];
  for (let l = 0; l < cfg.numBlocks; l++) {
    const { out: z, shape: zs } = conv64(h, shape, p[3 * l]!, cfg.kernelSize, cfg.filters, cfg.stride);
    const C = cfg.filters;
    const M = z.length / C;
    const gamma = p[3 * l + 1]!;
    const beta = p[3 * l + 2]!;
    const mean = new Float64Array(C);
    const vr = new Float64Array(C);
    for (let i = 0; i < z.length; i++) mean[i % C] += z[i]! / M;
    for (let i = 0; i < z.length; i++) vr[i % C] += (z[i]! - mean[i % C]!) ** 2 / M;
    const inv = vr.map((v) => 1 / Math.sqrt(v + cfg.bnEpsilon));
    const xhat = z.map((v, i) => (v - mean[i % C]!) * inv[i % C]!);
    const pre = xhat.map((v, i) => gamma[i % C]! * v + beta[i % C]!);
    blocks.push({ input: h, inShape: shape, z, xhat, inv, pre, outShape: zs });
    h = pre.map((v) => (v > 0 ? v : 0));
    shape = zs;
  }
  const [b, hh, ww, C] = shape;
  const F = cfg.pooling === 'mean' ? C : hh * ww * C;
  const feat = new Float64Array(b * F);
  if (cfg.pooling === 'mean') {
    for (let i = 0; i < h.length; i++) feat[Math.floor(i / (hh * ww * C)) * C + (i % C)] += h[i]! / (hh * ww);
  } else feat.set(h);
  const W = p[3 * cfg.numBlocks]!;
  const bias = p[3 * cfg.numBlocks + 1]!;
  const N = cfg.numClasses;
  const logits = new Float64Array(b * N);
  for (let n = 0; n < b; n++) {
    for (let q = 0; q < N; q++) {
      let s = bias[q]!;
      for (let f = 0; f < F; f++) s += feat[n * F + f]! * W[f * N + q]!;
      logits[n * N + q] = s;
    }
  }
  return { logits, blocks, feat, lastShape: shape, F };
}

function ce64(logits: Float64Array, y: Int32Array, N: number): { loss: number; dlogits: Float64Array } {
  const B = y.length;
  let loss = 0;
  const dl = new Float64Array(logits.length);
  for (let n = 0; n < B; n++) {
    const row = logits.subarray(n * N, (n + 1) * N);
    const m = Math.max(...row);
    const se = row.reduce((s, v) => s + Math.exp(v - m), 0);
    loss += (m + Math.log(se) - row[y[n]!]!) / B;
    for (let q = 0; q < N; q++) dl[n * N + q] = (Math.exp(row[q]! - m) / se - (q === y[n] ? 1 : 0)) / B;
  }
  return { loss, dlogits: dl };
}

function loss64(net: Net64, p: Float64Array[], d: Data): number {
  return ce64(forward64(net, p, d).logits, d.y, net.cfg.numClasses).loss;
}

/** Gradient of the mean cross-entropy with respect to every parameter (hand-written backprop). */
function grad64(net: Net64, p: Float64Array[], d: Data): Float64Array[] {
  const { cfg } = net;
  const fw = forward64(net, p, d);
  const { dlogits } = ce64(fw.logits, d.y, cfg.numClasses);
  const g = p.map((v) => new Float64Array(v.length));
  const N = cfg.numClasses;
  const { F } = fw;
  const W = p[3 * cfg.numBlocks]!;
  const gW = g[3 * cfg.numBlocks]!;
  const gb = g[3 * cfg.numBlocks + 1]!;
  const dfeat = new Float64Array(fw.feat.length);
  for (let n = 0; n < d.n; n++) {
    for (let q = 0; q < N; q++) {
      const dv = dlogits[n * N + q]!;
      gb[q] += dv;
      for (let f = 0; f < F; f++) {
        gW[f * N + q] += fw.feat[n * F + f]! * dv;
        dfeat[n * F + f] += W[f * N + q]! * dv;
      }
    }
  }
  const [, hh, ww, C] = fw.lastShape;
  let dh = new Float64Array(d.n * hh * ww * C);
  if (cfg.pooling === 'mean') {
    for (let i = 0; i < dh.length; i++) dh[i] = dfeat[Math.floor(i / (hh * ww * C)) * C + (i % C)]! / (hh * ww);
  } else dh.set(dfeat);
  for (let l = cfg.numBlocks - 1; l >= 0; l--) {
    const bc = fw.blocks[l]!;
    const gamma = p[3 * l + 1]!;
    const M = bc.z.length / C;
    const dpre = dh.map((v, i) => (bc.pre[i]! > 0 ? v : 0));
    const gg = g[3 * l + 1]!;
    const gbeta = g[3 * l + 2]!;
    const sumD = new Float64Array(C);
    const sumDX = new Float64Array(C);
    for (let i = 0; i < dpre.length; i++) {
      const c = i % C;
      gbeta[c] += dpre[i]!;
      gg[c] += dpre[i]! * bc.xhat[i]!;
      sumD[c] += dpre[i]! * gamma[c]!;
      sumDX[c] += dpre[i]! * gamma[c]! * bc.xhat[i]!;
    }
    const dz = dpre.map((v, i) => {
      const c = i % C;
      return (bc.inv[c]! / M) * (M * v * gamma[c]! - sumD[c]! - bc.xhat[i]! * sumDX[c]!);
    });
    const { dx, dw } = conv64Backward(bc.input, bc.inShape, p[3 * l]!, cfg.kernelSize, cfg.filters, cfg.stride, dz);
    g[3 * l]!.set(dw);
    dh = dx;
  }
  return g;
}

interface Problem {
  net: Net64;
  theta: Float64Array; // float32-representable
  alpha: number;
  support: Data;
  query: Data;
  /** Parameter indices adapted by the inner step. */
  adapt: number[];
}

function adapt64(pr: Problem, flat: Float64Array): Float64Array[] {
  const p = split(pr.net.shapes, flat);
  const g = grad64(pr.net, p, pr.support);
  return p.map((v, i) => (pr.adapt.includes(i) ? v.map((x, k) => x - pr.alpha * g[i]![k]!) : v));
}

function metaObjective64(pr: Problem, flat: Float64Array): number {
  return loss64(pr.net, adapt64(pr, flat), pr.query);
}

/** Signs of every ReLU input of the support pass at θ and the query pass at θ′. */
function reluPattern(pr: Problem, flat: Float64Array): { signs: Uint8Array; minAbs: number } {
  const p = split(pr.net.shapes, flat);
  const pre = [
    ...forward64(pr.net, p, pr.support).blocks.map((b) => b.pre),
    ...forward64(pr.net, adapt64(pr, flat), pr.query).blocks.map((b) => b.pre),
  ];
  const all = concat(pre);
  return { signs: Uint8Array.from(all, (v) => (v > 0 ? 1 : 0)), minAbs: all.reduce((m, v) => Math.min(m, Math.abs(v)), Infinity) };
}

// --- problems ---------------------------------------------------------------------------------

const f32 = Math.fround;

function smoothImages(rng: Rng, n: number, s: number): Float64Array {
  // Sums of a few random Gaussian blobs: smooth, in [0, 1] like Omniglot inputs.
  const x = new Float64Array(n * s * s);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const cx = rng.uniformRange(0, s);
      const cy = rng.uniformRange(0, s);
      const r = rng.uniformRange(0.1, 0.3) * s;
      for (let y = 0; y < s; y++) for (let xx = 0; xx < s; xx++) x[i * s * s + y * s + xx] += Math.exp(-((xx - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
    }
  }
  return x.map((v) => f32(Math.min(1, v)));
}

function makeProblem(cfg: Partial<ConvNetConfig> & { numClasses: number }, shots: number, queries: number, seed: number, adaptHead = false): Problem {
  const tfNet = new ConvNet(cfg);
  const rng = createRng(seed);
  const theta = concat(tfNet.init(rng.fork('init')).map((v) => Float64Array.from(v)));
  // Random BN scale/offset and head bias, so that no parameter sits at a special value.
  let o = 0;
  tfNet.shapes.forEach((s, i) => {
    if (s.length === 1) for (let k = 0; k < size(s); k++) theta[o + k] = f32((i % 3 === 1 && i < tfNet.headIndices[0]! ? 1 : 0) + 0.2 * rng.normal());
    o += size(s);
  });
  const N = tfNet.config.numClasses;
  const S = tfNet.config.inputSize;
  const data = (per: number, key: string): Data => ({
    x: smoothImages(rng.fork(key), N * per, S),
    y: Int32Array.from({ length: N * per }, (_, i) => Math.floor(i / per)),
    n: N * per,
  });
  return {
    net: { cfg: tfNet.config, shapes: tfNet.shapes },
    theta,
    alpha: 0.4,
    support: data(shots, 'support'),
    query: data(queries, 'query'),
    adapt: adaptHead ? [...tfNet.headIndices] : tfNet.shapes.map((_, i) => i),
  };
}

// --- tfjs side --------------------------------------------------------------------------------

async function metaGradientTf(pr: Problem): Promise<Float64Array> {
  const net = new ConvNet(pr.net.cfg);
  const ps = split(net.shapes, pr.theta).map((v, i) => tf.tensor(Float32Array.from(v), net.shapes[i]));
  const xs = tf.tensor2d(Float32Array.from(pr.support.x), [pr.support.n, pr.support.x.length / pr.support.n]);
  const ys = tf.tensor1d(pr.support.y, 'int32');
  const xq = tf.tensor2d(Float32Array.from(pr.query.x), [pr.query.n, pr.query.x.length / pr.query.n]);
  const yq = tf.tensor1d(pr.query.y, 'int32');
  const g = tf.grads((...qs: tf.Tensor[]) => net.loss(net.sgdStep(qs, xs, ys, pr.alpha, pr.adapt), xq, yq))(ps);
  const parts = await Promise.all(g.map((t) => t.data()));
  tf.dispose([...g, ...ps, xs, ys, xq, yq]);
  return concat(parts.map((p) => Float64Array.from(p)));
}

/** First-order MAML: ∇L_q(θ′) with θ′ = θ − α∇L_s(θ) held constant. */
async function firstOrderGradientTf(pr: Problem): Promise<Float64Array> {
  const adapted = adapt64(pr, pr.theta);
  const flat = concat(adapted.map((v) => v.map(f32)));
  return metaGradientTf({ ...pr, theta: flat, adapt: [] });
}

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const axpy = (x: Float64Array, a: number, d: Float64Array): Float64Array => x.map((v, i) => v + a * d[i]!);

interface FdCheck {
  errors: number[];
  minAbsRelu: number;
}

/** Relative error of d·g against central differences along `nDirs` unit-norm random directions. */
function checkAlongDirections(pr: Problem, g: Float64Array, nDirs: number, seed: number, eps = 1e-6): FdCheck {
  const rng = createRng(seed).fork('directions');
  const base = reluPattern(pr, pr.theta);
  const errors: number[] = [];
  for (let k = 0; k < nDirs; k++) {
    const d = Float64Array.from({ length: pr.theta.length }, () => rng.normal());
    const norm = Math.sqrt(dot(d, d));
    d.forEach((v, i) => (d[i] = v / norm));
    const plus = axpy(pr.theta, eps, d);
    const minus = axpy(pr.theta, -eps, d);
    for (const pt of [plus, minus]) {
      const pat = reluPattern(pr, pt).signs;
      const flips = pat.reduce((n, s, i) => n + (s !== base.signs[i] ? 1 : 0), 0);
      expect(flips, `${flips} of ${pat.length} ReLU inputs cross 0 inside the finite-difference segment`).toBe(0);
    }
    const fd = (metaObjective64(pr, plus) - metaObjective64(pr, minus)) / (2 * eps);
    errors.push(Math.abs(dot(d, g) - fd) / Math.abs(fd));
  }
  return { errors, minAbsRelu: base.minAbs };
}

// --- tests ------------------------------------------------------------------------------------

describe('convolution: tf.conv2d limits on wasm, and the im2col replacement', () => {
  it('tf.conv2d: no Conv2DBackpropFilter kernel on wasm; no gradient of Conv2DBackpropFilter anywhere', async () => {
    const x = tf.randomNormal([2, 6, 6, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 1, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
    const f = (v: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.conv2d(x, v as tf.Tensor4D, 2, 'same')));
    expect(() => tf.grad(f)(w)).toThrow(/Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);
    await initBackend('cpu', { log: () => {} });
    try {
      expect(() => tf.grad(f)(w)).not.toThrow(); // first order works on cpu…
      expect(() => tf.grad((v: tf.Tensor) => tf.sum(tf.grad(f)(v)))(w)).toThrow(/gradient function not found for Conv2DBackpropFilter/);
      expect(() => tf.grad((v: tf.Tensor) => tf.sum(tf.stridedSlice(v, [0, 0, 0, 0], [2, 6, 6, 1], [1, 2, 2, 1])))(x)).toThrow(
        /gradient function not found for StridedSlice/,
      );
    } finally {
      await initBackend('wasm', { log: () => {} });
    }
    tf.dispose([x, w]);
  });

  it('conv2dSame equals tf.conv2d (padding, strides, odd sizes); its filter gradient equals cpu conv2d’s', async () => {
    const cases: [number, number, number, number, number][] = [
      [28, 3, 2, 1, 4],
      [14, 3, 2, 4, 4],
      [7, 3, 2, 3, 5],
      [4, 3, 2, 2, 2],
      [5, 3, 1, 2, 3],
      [9, 5, 2, 1, 2],
    ];
    const grads: { mine: Float32Array; ref?: Float32Array }[] = [];
    for (const [h, k, s, cin, cout] of cases) {
      const x = tf.randomNormal([3, h, h, cin], 0, 1, 'float32', h) as tf.Tensor4D;
      const w = tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', k + cin) as tf.Tensor4D;
      const a = conv2dSame(x, w, s);
      const b = tf.conv2d(x, w, s, 'same');
      expect(a.shape).toEqual(b.shape);
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
      const gm = tf.grad((v: tf.Tensor) => tf.sum(tf.sin(conv2dSame(x, v as tf.Tensor4D, s))))(w);
      grads.push({ mine: gm.dataSync() as Float32Array });
      tf.dispose([x, w, a, b, gm]);
    }
    await initBackend('cpu', { log: () => {} });
    try {
      cases.forEach(([h, k, s, cin, cout], i) => {
        const x = tf.randomNormal([3, h, h, cin], 0, 1, 'float32', h) as tf.Tensor4D;
        const w = tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', k + cin) as tf.Tensor4D;
        const gr = tf.grad((v: tf.Tensor) => tf.sum(tf.sin(tf.conv2d(x, v as tf.Tensor4D, s, 'same'))))(w);
        const ref = gr.dataSync();
        const mine = grads[i]!.mine;
        let num = 0;
        let den = 0;
        for (let j = 0; j < ref.length; j++) {
          num += (mine[j]! - ref[j]!) ** 2;
          den += ref[j]! ** 2;
        }
        expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
        tf.dispose([x, w, gr]);
      });
    } finally {
      await initBackend('wasm', { log: () => {} });
    }
  });
});

describe('ConvNet', () => {
  it('shapes, head indices, init; logits accept flat or image batches', () => {
    const net = new ConvNet({ numClasses: 5 });
    expect(net.shapes.length).toBe(14);
    expect(net.shapes[0]).toEqual([3, 3, 1, 64]);
    expect(net.shapes[3]).toEqual([3, 3, 64, 64]);
    expect(net.shapes[12]).toEqual([64, 5]);
    expect(net.headIndices).toEqual([12, 13]);
    expect(net.bodyIndices.length).toBe(12);
    expect(new ConvNet({ numClasses: 20, pooling: 'flatten' }).shapes[12]).toEqual([2 * 2 * 64, 20]);
    const v = net.init(createRng(1));
    expect(v.map((a) => a.length)).toEqual(net.shapes.map(size));
    expect(Array.from(v[1]!).every((g) => g === 1)).toBe(true); // γ
    expect(Array.from(v[2]!).every((b) => b === 0)).toBe(true); // β
    expect(net.init(createRng(1))).toEqual(v);
    const before = tf.memory().numTensors;
    const ps = net.toTensors(v);
    const x = tf.randomUniform([4, 784], 0, 1, 'float32', 1);
    const a = net.logits(ps, x);
    const x4 = tf.reshape(x, [4, 28, 28, 1]);
    const b = net.logits(ps, x4);
    expect(a.shape).toEqual([4, 5]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const wrong = tf.zeros([4, 27 * 27]);
    expect(() => net.logits(ps, wrong)).toThrow(/input must be/);
    expect(() => new ConvNet({ numClasses: 0 })).toThrow(/numClasses must be a positive integer, got 0/);
    tf.dispose([...ps, x, x4, a, b, wrong]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('float64 reference: hand-written gradient = finite differences, and = tfjs first-order gradient', async () => {
    const pr = makeProblem({ inputSize: 8, numBlocks: 2, filters: 4, numClasses: 2 }, 2, 2, 3);
    const g = concat(grad64(pr.net, split(pr.net.shapes, pr.theta), pr.support));
    const rng = createRng(9);
    const d = Float64Array.from(pr.theta, () => rng.normal());
    const eps = 1e-6;
    const L = (t: Float64Array): number => loss64(pr.net, split(pr.net.shapes, t), pr.support);
    const fd = (L(axpy(pr.theta, eps, d)) - L(axpy(pr.theta, -eps, d))) / (2 * eps);
    expect(Math.abs(dot(d, g) - fd) / Math.abs(fd)).toBeLessThan(1e-6);
    const net = new ConvNet(pr.net.cfg);
    const ps = split(net.shapes, pr.theta).map((v, i) => tf.tensor(Float32Array.from(v), net.shapes[i]));
    const xs = tf.tensor2d(Float32Array.from(pr.support.x), [pr.support.n, 64]);
    const ys = tf.tensor1d(pr.support.y, 'int32');
    const gt = tf.grads((...qs: tf.Tensor[]) => net.loss(qs, xs, ys))(ps);
    const gtf = concat(gt.map((t) => Float64Array.from(t.dataSync())));
    const err = Math.sqrt(gtf.reduce((s, v, i) => s + (v - g[i]!) ** 2, 0) / dot(g, g));
    expect(err).toBeLessThan(1e-4);
    tf.dispose([...gt, ...ps, xs, ys]);
  });

  it('tiny net (2 blocks × 4 filters, 8×8, 2-way 1-shot): second-order MAML meta-gradient on wasm = finite differences', async () => {
    const pr = makeProblem({ inputSize: 8, numBlocks: 2, filters: 4, numClasses: 2 }, 1, 3, 1);
    const g = await metaGradientTf(pr);
    const res = checkAlongDirections(pr, g, 3, 1);
    console.log(`conv net tiny (${pr.theta.length} params) MAML meta-gradient vs FD: rel. errors ${res.errors.map((e) => e.toExponential(2)).join(', ')}; min |ReLU input| ${res.minAbsRelu.toExponential(2)}`);
    for (const e of res.errors) expect(e).toBeLessThan(1e-2);
    // The check can tell: the first-order approximation (∇L_q at θ′, no Hessian term) fails it.
    const fo = await firstOrderGradientTf(pr);
    const foRes = checkAlongDirections(pr, fo, 3, 1);
    console.log(`  first-order MAML gradient vs the same FD: rel. errors ${foRes.errors.map((e) => e.toExponential(2)).join(', ')}`);
    expect(Math.max(...foRes.errors)).toBeGreaterThan(0.05);
  });

  it('tiny net, ANIL (head-only inner step): meta-gradient = finite differences', async () => {
    const pr = makeProblem({ inputSize: 8, numBlocks: 2, filters: 4, numClasses: 2 }, 1, 3, 2, true);
    const g = await metaGradientTf(pr);
    const res = checkAlongDirections(pr, g, 3, 2);
    console.log(`conv net tiny ANIL meta-gradient vs FD: rel. errors ${res.errors.map((e) => e.toExponential(2)).join(', ')}`);
    for (const e of res.errors) expect(e).toBeLessThan(1e-2);
  });

  it('full size (4 blocks × 64 filters, 28×28, 5-way 1-shot): second-order meta-gradient on wasm = finite differences; no tensor leak', async () => {
    const pr = makeProblem({ numClasses: 5 }, 1, 2, 4);
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const g = await metaGradientTf(pr);
    const ms = performance.now() - t0;
    expect(tf.memory().numTensors).toBe(before);
    expect(g.every(Number.isFinite)).toBe(true);
    const res = checkAlongDirections(pr, g, 2, 4, 1e-7);
    console.log(
      `conv net 4×64 (${pr.theta.length} params) meta-gradient on wasm: ${ms.toFixed(0)} ms (first call); vs FD rel. errors ${res.errors.map((e) => e.toExponential(2)).join(', ')}; min |ReLU input| ${res.minAbsRelu.toExponential(2)}`,
    );
    for (const e of res.errors) expect(e).toBeLessThan(1e-2);
  });
});
