/**
 * Shared fixtures for the higher-order gradient tests: a small tanh-MLP
 * Gaussian policy with learned log-std, its one-step MAML meta-objective and a
 * Gaussian KL through the adaptation step, implemented twice:
 *   - with tfjs ops (float32, gradients by nested tf.grads),
 *   - in plain JS float64 (forward passes plus a hand-written first-order
 *     backprop for the inner step), used for central finite differences.
 * Parameters and data are rounded to float32 once, so both implementations
 * evaluate exactly the same function.
 */
import * as tf from '@tensorflow/tfjs';

export const SIZES = [2, 8, 8, 2];
const N_LAYERS = SIZES.length - 1;

/** Deterministic standard normals (mulberry32 + Box-Muller). */
export function normals(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

const f32 = (x: number): number => Math.fround(x);

export interface Batch {
  n: number;
  obs: Float64Array; // [n, 2]
  act: Float64Array; // [n, 2]
  adv: Float64Array; // [n]
}

export interface Problem {
  shapes: number[][];
  /** Flattened parameters [W1, b1, W2, b2, W3, b3, logStd], float32-representable. */
  theta: Float64Array;
  alpha: number;
  train: Batch;
  val: Batch;
  /** "Old" policy outputs on val.obs for the KL (constants), float32-representable. */
  muOld: Float64Array;
  logStdOld: Float64Array;
}

function paramShapes(): number[][] {
  const shapes: number[][] = [];
  for (let l = 0; l < N_LAYERS; l++) {
    shapes.push([SIZES[l], SIZES[l + 1]]);
    shapes.push([SIZES[l + 1]]);
  }
  shapes.push([SIZES[N_LAYERS]]);
  return shapes;
}

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function makeBatch(rnd: () => number, n: number): Batch {
  return {
    n,
    obs: Float64Array.from({ length: n * 2 }, () => f32(rnd())),
    act: Float64Array.from({ length: n * 2 }, () => f32(0.7 * rnd())),
    adv: Float64Array.from({ length: n }, () => f32(rnd())),
  };
}

export function makeProblem(seed = 2, alpha = 0.5): Problem {
  const rnd = normals(seed);
  const shapes = paramShapes();
  const parts: number[] = [];
  shapes.forEach((shape, i) => {
    const isBias = shape.length === 1 && i < shapes.length - 1;
    const isLogStd = i === shapes.length - 1;
    const scale = isLogStd ? 0.1 : isBias ? 0.1 : 1.2 / Math.sqrt(shape[0]);
    for (let k = 0; k < sizeOf(shape); k++) parts.push(f32((isLogStd ? -0.3 : 0) + scale * rnd()));
  });
  const theta = Float64Array.from(parts);
  const train = makeBatch(rnd, 24);
  const val = makeBatch(rnd, 24);
  // Old policy: the adapted policy of a nearby parameter vector, so that the
  // KL has a non-zero gradient and its third-order terms matter.
  const thetaOld = theta.map((x) => x + 0.15 * rnd());
  const pOld = adapt64({ shapes, theta: thetaOld, alpha, train } as Problem, thetaOld);
  const { mu } = forward64(shapes, pOld, val.obs, val.n);
  const muOld = mu.map(f32);
  const logStdOld = pOld[pOld.length - 1].map(f32);
  return { shapes, theta, alpha, train, val, muOld, logStdOld };
}

// ---------------------------------------------------------------------------
// float64 reference

function split(shapes: number[][], flat: Float64Array): Float64Array[] {
  const out: Float64Array[] = [];
  let o = 0;
  for (const s of shapes) {
    const n = sizeOf(s);
    out.push(flat.slice(o, o + n));
    o += n;
  }
  return out;
}

function forward64(shapes: number[][], p: Float64Array[], obs: Float64Array, n: number) {
  const hs: Float64Array[] = [obs]; // inputs of each layer
  let h = obs;
  let mu = obs;
  for (let l = 0; l < N_LAYERS; l++) {
    const [din, dout] = shapes[2 * l];
    const W = p[2 * l];
    const b = p[2 * l + 1];
    const z = new Float64Array(n * dout);
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < dout; o++) {
        let s = b[o];
        for (let k = 0; k < din; k++) s += h[i * din + k] * W[k * dout + o];
        z[i * dout + o] = s;
      }
    }
    if (l < N_LAYERS - 1) {
      h = z.map(Math.tanh);
      hs.push(h);
    } else {
      mu = z;
    }
  }
  return { hs, mu };
}

/** -mean(logN(act | mu, exp(logStd)) * adv) without the constant term. */
function loss64(shapes: number[][], p: Float64Array[], d: Batch): number {
  const { mu } = forward64(shapes, p, d.obs, d.n);
  const s = p[p.length - 1];
  let total = 0;
  for (let i = 0; i < d.n; i++) {
    let logp = 0;
    for (let j = 0; j < 2; j++) {
      const z = (d.act[i * 2 + j] - mu[i * 2 + j]) / Math.exp(s[j]);
      logp += -0.5 * z * z - s[j];
    }
    total += logp * d.adv[i];
  }
  return -total / d.n;
}

/** Gradient of loss64 with respect to all parameters (hand-written backprop). */
function lossGrad64(shapes: number[][], p: Float64Array[], d: Batch): Float64Array[] {
  const { hs, mu } = forward64(shapes, p, d.obs, d.n);
  const s = p[p.length - 1];
  const grads = p.map((x) => new Float64Array(x.length));
  const gS = grads[grads.length - 1];
  let dz = new Float64Array(d.n * 2); // dL/dmu
  for (let i = 0; i < d.n; i++) {
    for (let j = 0; j < 2; j++) {
      const sig2 = Math.exp(2 * s[j]);
      const r = d.act[i * 2 + j] - mu[i * 2 + j];
      dz[i * 2 + j] = (-d.adv[i] / d.n) * (r / sig2);
      gS[j] += (-d.adv[i] / d.n) * ((r * r) / sig2 - 1);
    }
  }
  for (let l = N_LAYERS - 1; l >= 0; l--) {
    const [din, dout] = shapes[2 * l];
    const W = p[2 * l];
    const h = hs[l];
    const gW = grads[2 * l];
    const gb = grads[2 * l + 1];
    const dh = new Float64Array(d.n * din);
    for (let i = 0; i < d.n; i++) {
      for (let o = 0; o < dout; o++) {
        const g = dz[i * dout + o];
        gb[o] += g;
        for (let k = 0; k < din; k++) {
          gW[k * dout + o] += h[i * din + k] * g;
          dh[i * din + k] += g * W[k * dout + o];
        }
      }
    }
    if (l > 0) {
      for (let q = 0; q < dh.length; q++) dh[q] *= 1 - h[q] * h[q];
      dz = dh;
    }
  }
  return grads;
}

function adapt64(pr: Pick<Problem, 'shapes' | 'alpha' | 'train'>, flat: Float64Array): Float64Array[] {
  const p = split(pr.shapes, flat);
  const g = lossGrad64(pr.shapes, p, pr.train);
  return p.map((x, i) => x.map((v, k) => v - pr.alpha * g[i][k]));
}

/** L_val(theta - alpha * grad L_train(theta)) in float64. */
export function metaObjective64(pr: Problem, flat: Float64Array): number {
  return loss64(pr.shapes, adapt64(pr, flat), pr.val);
}

function kl64(pr: Problem, p: Float64Array[]): number {
  const { mu } = forward64(pr.shapes, p, pr.val.obs, pr.val.n);
  const s = p[p.length - 1];
  let total = 0;
  for (let i = 0; i < pr.val.n; i++) {
    for (let j = 0; j < 2; j++) {
      const dm = pr.muOld[i * 2 + j] - mu[i * 2 + j];
      total +=
        s[j] - pr.logStdOld[j] + (Math.exp(2 * pr.logStdOld[j]) + dm * dm) / (2 * Math.exp(2 * s[j])) - 0.5;
    }
  }
  return total / pr.val.n;
}

/** mean KL(pi_old || pi_{theta'}) on val.obs with theta' the adapted parameters, float64. */
export function klThroughAdaptation64(pr: Problem, flat: Float64Array): number {
  return kl64(pr, adapt64(pr, flat));
}

// ---------------------------------------------------------------------------
// tfjs (float32)

interface TfBatch {
  obs: tf.Tensor2D;
  act: tf.Tensor2D;
  adv: tf.Tensor1D;
}

function tfBatch(d: Batch): TfBatch {
  return {
    obs: tf.tensor2d(Float32Array.from(d.obs), [d.n, 2]),
    act: tf.tensor2d(Float32Array.from(d.act), [d.n, 2]),
    adv: tf.tensor1d(Float32Array.from(d.adv)),
  };
}

function meanTf(ps: tf.Tensor[], obs: tf.Tensor): tf.Tensor {
  let h = obs;
  for (let l = 0; l < N_LAYERS; l++) {
    h = tf.add(tf.matMul(h, ps[2 * l]), ps[2 * l + 1]);
    if (l < N_LAYERS - 1) h = tf.tanh(h);
  }
  return h;
}

function lossTf(ps: tf.Tensor[], d: TfBatch): tf.Scalar {
  const mu = meanTf(ps, d.obs);
  const logStd = ps[ps.length - 1];
  const z = tf.div(tf.sub(d.act, mu), tf.exp(logStd));
  const logp = tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), tf.sum(logStd));
  return tf.neg(tf.mean(tf.mul(logp, d.adv))) as tf.Scalar;
}

function adaptTf(ps: tf.Tensor[], alpha: number, train: TfBatch): tf.Tensor[] {
  const g = tf.grads((...qs: tf.Tensor[]) => lossTf(qs, train))(ps);
  return ps.map((p, i) => tf.sub(p, tf.mul(alpha, g[i])));
}

function klTf(ps: tf.Tensor[], obs: tf.Tensor, muOld: tf.Tensor, logStdOld: tf.Tensor): tf.Scalar {
  const mu = meanTf(ps, obs);
  const logStd = ps[ps.length - 1];
  const varNew2 = tf.mul(2, tf.exp(tf.mul(2, logStd)));
  const num = tf.add(tf.exp(tf.mul(2, logStdOld)), tf.square(tf.sub(muOld, mu)));
  const perDim = tf.sub(tf.add(tf.sub(logStd, logStdOld), tf.div(num, varNew2)), 0.5);
  return tf.mean(tf.sum(perDim, 1));
}

function paramTensors(pr: Problem, flat: Float64Array): tf.Tensor[] {
  return split(pr.shapes, flat).map((x, i) => tf.tensor(Float32Array.from(x), pr.shapes[i]));
}

async function flatten(ts: tf.Tensor[]): Promise<Float64Array> {
  const parts = await Promise.all(ts.map((t) => t.data()));
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Full second-order MAML meta-gradient by nested tf.grads. */
export async function metaGradientTf(pr: Problem): Promise<Float64Array> {
  const train = tfBatch(pr.train);
  const val = tfBatch(pr.val);
  const ps = paramTensors(pr, pr.theta);
  const g = tf.grads((...qs: tf.Tensor[]) => lossTf(adaptTf(qs, pr.alpha, train), val))(ps);
  const out = await flatten(g);
  tf.dispose([...g, ...ps, train.obs, train.act, train.adv, val.obs, val.act, val.adv]);
  return out;
}

/** H v with H the Hessian of the KL through the adaptation step (third-order gradients). */
export async function klHvpTf(pr: Problem, v: Float64Array): Promise<Float64Array> {
  const train = tfBatch(pr.train);
  const obs = tf.tensor2d(Float32Array.from(pr.val.obs), [pr.val.n, 2]);
  const muOld = tf.tensor2d(Float32Array.from(pr.muOld), [pr.val.n, 2]);
  const logStdOld = tf.tensor1d(Float32Array.from(pr.logStdOld));
  const ps = paramTensors(pr, pr.theta);
  const vs = paramTensors(pr, v);
  const gradDotV = (...qs: tf.Tensor[]): tf.Scalar => {
    const g = tf.grads((...rs: tf.Tensor[]) => klTf(adaptTf(rs, pr.alpha, train), obs, muOld, logStdOld))(qs);
    return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, vs[i])))) as tf.Scalar;
  };
  const hv = tf.grads(gradDotV)(ps);
  const out = await flatten(hv);
  tf.dispose([...hv, ...ps, ...vs, train.obs, train.act, train.adv, obs, muOld, logStdOld]);
  return out;
}

// ---------------------------------------------------------------------------
// checks

function randomDirection(n: number, rnd: () => number): Float64Array {
  const d = Float64Array.from({ length: n }, () => f32(rnd()));
  return d;
}

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, x, i) => s + x * b[i], 0);
const axpy = (x: Float64Array, a: number, d: Float64Array): Float64Array => x.map((v, i) => v + a * d[i]);

export interface GradCheck {
  /** |d.g_tf - fd| / |fd| for each random direction d. */
  directional: number[];
  /** ||g_tf - g_fd|| / ||g_fd|| with g_fd from coordinate-wise central differences. */
  vector: number;
}

function vectorError(a: Float64Array, ref: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/**
 * Checks the tfjs meta-gradient against float64 central differences of the
 * meta-objective: along `nDirs` random directions and coordinate-wise.
 */
export async function checkMetaGradient(pr: Problem, nDirs = 3, seed = 11): Promise<GradCheck> {
  const g = await metaGradientTf(pr);
  const rnd = normals(seed);
  const eps = 1e-5;
  const F = (x: Float64Array): number => metaObjective64(pr, x);
  const directional: number[] = [];
  for (let k = 0; k < nDirs; k++) {
    const d = randomDirection(pr.theta.length, rnd);
    const fd = (F(axpy(pr.theta, eps, d)) - F(axpy(pr.theta, -eps, d))) / (2 * eps);
    directional.push(Math.abs(dot(d, g) - fd) / Math.abs(fd));
  }
  const gFd = new Float64Array(pr.theta.length);
  for (let i = 0; i < gFd.length; i++) {
    const xp = pr.theta.slice();
    const xm = pr.theta.slice();
    xp[i] += eps;
    xm[i] -= eps;
    gFd[i] = (F(xp) - F(xm)) / (2 * eps);
  }
  return { directional, vector: vectorError(g, gFd) };
}

/**
 * Checks the tfjs Hessian-vector product of the KL through the adaptation
 * (third-order gradients) against float64 mixed central differences
 * d^2/(ds dt) KL(theta + s u + t v): u.(Hv) for `nDirs` random pairs (u, v),
 * and the whole vector Hv (u = each unit vector) for the first v.
 */
export async function checkKlHvp(pr: Problem, nDirs = 3, seed = 23): Promise<GradCheck> {
  const rnd = normals(seed);
  const eps = 1e-4;
  const f = (x: Float64Array): number => klThroughAdaptation64(pr, x);
  const mixed = (u: Float64Array, v: Float64Array): number => {
    const pp = f(axpy(axpy(pr.theta, eps, u), eps, v));
    const pm = f(axpy(axpy(pr.theta, eps, u), -eps, v));
    const mp = f(axpy(axpy(pr.theta, -eps, u), eps, v));
    const mm = f(axpy(axpy(pr.theta, -eps, u), -eps, v));
    return (pp - pm - mp + mm) / (4 * eps * eps);
  };
  const directional: number[] = [];
  let vector = NaN;
  for (let k = 0; k < nDirs; k++) {
    const u = randomDirection(pr.theta.length, rnd);
    const v = randomDirection(pr.theta.length, rnd);
    const hv = await klHvpTf(pr, v);
    const fd = mixed(u, v);
    directional.push(Math.abs(dot(u, hv) - fd) / Math.abs(fd));
    if (k === 0) {
      const hvFd = new Float64Array(pr.theta.length);
      const e = new Float64Array(pr.theta.length);
      for (let i = 0; i < e.length; i++) {
        e[i] = 1;
        hvFd[i] = mixed(e, v);
        e[i] = 0;
      }
      vector = vectorError(hv, hvFd);
    }
  }
  return { directional, vector };
}

/** Sanity check of the float64 reference itself: hand-written inner gradient vs finite differences. */
export function referenceSelfCheck(pr: Problem): number {
  const p = split(pr.shapes, pr.theta);
  const g = lossGrad64(pr.shapes, p, pr.train).flatMap((x) => Array.from(x));
  const rnd = normals(99);
  const d = randomDirection(pr.theta.length, rnd);
  const eps = 1e-6;
  const L = (x: Float64Array): number => loss64(pr.shapes, split(pr.shapes, x), pr.train);
  const fd = (L(axpy(pr.theta, eps, d)) - L(axpy(pr.theta, -eps, d))) / (2 * eps);
  const an = g.reduce((s, x, i) => s + x * d[i], 0);
  return Math.abs(an - fd) / Math.abs(fd);
}
