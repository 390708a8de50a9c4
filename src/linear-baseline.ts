import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { Baseline, Episodes } from './types.ts';

/** Options of {@link LinearFeatureBaseline}. */
export interface LinearFeatureBaselineOptions {
  /** Initial ridge coefficient added to the diagonal of `XᵀX`. Default 1e-5. */
  regCoeff?: number;
  /** Solves attempted (reg, 10·reg, 100·reg, …) before giving up. Default 5. */
  maxTries?: number;
  /** Time feature `t = step / timeScale`. Default 100. */
  timeScale?: number;
}

/** Thrown when the ridge normal equations cannot be solved even with the largest regularisation tried. */
export class LinearBaselineFitError extends Error {
  /** The last (largest) ridge coefficient tried. */
  readonly regCoeff: number;
  /** Number of solves attempted. */
  readonly tries: number;

  /**
   * @param regCoeff the last (largest) ridge coefficient tried.
   * @param tries number of solves attempted.
   */
  constructor(
    regCoeff: number,
    tries: number,
  ) {
    super(
      `LinearFeatureBaseline.fit: (XᵀX + reg·I) w = Xᵀy is singular or gave a non-finite solution ` +
        `after ${tries} tries; last regCoeff ${regCoeff}`,
    );
    this.regCoeff = regCoeff;
    this.tries = tries;
    this.name = 'LinearBaselineFitError';
  }
}

/** Observations are clipped to ±OBS_CLIP before entering the features. */
const OBS_CLIP = 10;

/**
 * Linear state-value baseline on hand-made features (Duan et al. 2016, "Benchmarking Deep
 * Reinforcement Learning for Continuous Control"; the baseline of MAML-RL, Finn et al. 2017).
 *
 * Features of the step `t` of an episode with observation `o` (`obsDim` components, clipped to ±10),
 * with `τ = t / timeScale`:
 *
 *   `φ(o, t) = [o, o², τ, τ², τ³, 1]`, length `D = 2·obsDim + 4`.
 *
 * `fit` solves the ridge normal equations `(XᵀX + reg·I) w = Xᵀy` over the real (`mask` 1) steps,
 * with `y` the discounted returns. If the solve fails (matrix not numerically positive definite,
 * or a non-finite solution), `reg` is multiplied by 10 and the solve retried, up to `maxTries` solves.
 * `predict` gives `V(s_t) = φ(o_t, t)·w`; `predictFinal` evaluates `finalObs[b]` at `t = lengths[b]`.
 * Before the first successful fit every prediction is 0.
 */
export class LinearFeatureBaseline implements Baseline {
  private readonly regCoeff: number;
  private readonly maxTries: number;
  private readonly timeScale: number;
  private w: Float64Array | null = null;
  private usedReg: number | null = null;

  /**
   * @param opts the ridge coefficient (default 1e-5), the number of solves before giving up
   *   (default 5) and the time scale of the features (default 100 steps).
   * @throws RangeError naming the option for a negative or non-finite `regCoeff`, a `maxTries` that
   *   is not a positive integer, or a `timeScale` that is not finite and positive.
   */
  constructor(opts: LinearFeatureBaselineOptions = {}) {
    const { regCoeff = 1e-5, maxTries = 5, timeScale = 100 } = opts;
    if (!(regCoeff >= 0 && Number.isFinite(regCoeff))) {
      throw new RangeError(`LinearFeatureBaseline: regCoeff must be finite and >= 0, got ${regCoeff}`);
    }
    if (!(Number.isInteger(maxTries) && maxTries >= 1)) {
      throw new RangeError(`LinearFeatureBaseline: maxTries must be a positive integer, got ${maxTries}`);
    }
    if (!(timeScale > 0 && Number.isFinite(timeScale))) {
      throw new RangeError(`LinearFeatureBaseline: timeScale must be finite and > 0, got ${timeScale}`);
    }
    this.regCoeff = regCoeff;
    this.maxTries = maxTries;
    this.timeScale = timeScale;
  }

  /** Fitted weights `[2·obsDim + 4]` in feature order `[o, o², τ, τ², τ³, 1]`, or null before any fit. */
  get weights(): Float64Array | null {
    return this.w;
  }

  /** The ridge coefficient of the last successful fit (≥ `regCoeff` after escalation), or null. */
  get regCoeffUsed(): number | null {
    return this.usedReg;
  }

  /**
   * Fits `w` to the returns of the real steps of `ep`.
   *
   * @param ep episodes `[T, B]`; only steps with `mask` ≠ 0 are used
   * @param returns `[T, B]` regression targets (discounted returns)
   * @throws LinearBaselineFitError when every ridge coefficient tried fails; the previous weights are kept
   * @throws RangeError on bad shapes, or a NaN observation or non-finite return on a real step (±Infinity in an observation is clipped to ±10)
   */
  fit(ep: Episodes, returns: Float32Array): void {
    const { T, B, obsDim } = ep;
    if (returns.length !== T * B) {
      throw new RangeError(`LinearFeatureBaseline.fit: returns must have length ${T * B}, got ${returns.length}`);
    }
    const D = 2 * obsDim + 4;
    // Only the upper triangle of XᵀX is accumulated; it is mirrored before the solve.
    const xtx = new Float64Array(D * D);
    const xty = new Float64Array(D);
    const phi = new Float64Array(D);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const i = t * B + b;
        if (ep.mask[i] === 0) continue;
        const y = returns[i]!;
        if (!Number.isFinite(y)) {
          throw new RangeError(`LinearFeatureBaseline.fit: non-finite return ${y} at t=${t}, b=${b}`);
        }
        this.features(ep.obs, i * obsDim, obsDim, t, phi);
        for (let r = 0; r < D; r++) {
          const fr = phi[r]!;
          if (fr === 0) continue;
          xty[r]! += fr * y;
          const row = r * D;
          for (let c = r; c < D; c++) xtx[row + c]! += fr * phi[c]!;
        }
      }
    }
    const maxDiag = Math.max(...Array.from({ length: D }, (_, k) => xtx[k * D + k]!));
    const rhs = Matrix.columnVector(Array.from(xty));
    let reg = this.regCoeff;
    for (let attempt = 0; attempt < this.maxTries; attempt++) {
      if (attempt > 0) reg *= 10;
      const w = solveRidge(xtx, rhs, D, reg, maxDiag);
      if (w !== null) {
        this.w = w;
        this.usedReg = reg;
        return;
      }
    }
    throw new LinearBaselineFitError(reg, this.maxTries);
  }

  /** Value estimates `[T, B]` of every real step, 0 on padding (and everywhere before a fit). */
  predict(ep: Episodes): Float32Array {
    const { T, B, obsDim } = ep;
    const out = new Float32Array(T * B);
    const w = this.checkedWeights(obsDim);
    if (w === null) return out;
    const phi = new Float64Array(w.length);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const i = t * B + b;
        if (ep.mask[i] === 0) continue;
        this.features(ep.obs, i * obsDim, obsDim, t, phi);
        out[i] = dot(phi, w);
      }
    }
    return out;
  }

  /** Value estimates `[B]` of `finalObs[b]` at step `lengths[b]` (0 before a fit). */
  predictFinal(ep: Episodes): Float32Array {
    const { B, obsDim } = ep;
    const out = new Float32Array(B);
    const w = this.checkedWeights(obsDim);
    if (w === null) return out;
    const phi = new Float64Array(w.length);
    for (let b = 0; b < B; b++) {
      this.features(ep.finalObs, b * obsDim, obsDim, ep.lengths[b]!, phi);
      out[b] = dot(phi, w);
    }
    return out;
  }

  private checkedWeights(obsDim: number): Float64Array | null {
    const w = this.w;
    if (w !== null && w.length !== 2 * obsDim + 4) {
      throw new RangeError(
        `LinearFeatureBaseline: fitted for obsDim ${(w.length - 4) / 2}, asked to predict obsDim ${obsDim}`,
      );
    }
    return w;
  }

  /** Writes `[o, o², τ, τ², τ³, 1]` of `obs[offset .. offset+obsDim)` at step `step` into `out`. */
  private features(obs: Float32Array, offset: number, obsDim: number, step: number, out: Float64Array): void {
    for (let k = 0; k < obsDim; k++) {
      const raw = obs[offset + k]!;
      if (Number.isNaN(raw)) throw new RangeError(`LinearFeatureBaseline: NaN observation at flat index ${offset + k}`);
      const o = raw > OBS_CLIP ? OBS_CLIP : raw < -OBS_CLIP ? -OBS_CLIP : raw;
      out[k] = o;
      out[obsDim + k] = o * o;
    }
    const tau = step / this.timeScale;
    const base = 2 * obsDim;
    out[base] = tau;
    out[base + 1] = tau * tau;
    out[base + 2] = tau * tau * tau;
    out[base + 3] = 1;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/**
 * Solves `(XᵀX + reg·I) w = Xᵀy` by Cholesky, or returns null when it fails.
 *
 * Besides a non-positive pivot (ml-matrix's own test), a pivot below `D·ε·max diag(XᵀX)` counts as
 * singular: such a pivot is rounding noise of an exactly collinear design, and solving with it
 * returns huge, meaningless weights that are still finite.
 */
function solveRidge(xtxUpper: Float64Array, rhs: Matrix, D: number, reg: number, maxDiag: number): Float64Array | null {
  const a = new Matrix(D, D);
  for (let r = 0; r < D; r++) {
    for (let c = r; c < D; c++) {
      const v = xtxUpper[r * D + c]! + (r === c ? reg : 0);
      a.set(r, c, v);
      a.set(c, r, v);
    }
  }
  const chol = new CholeskyDecomposition(a);
  if (!chol.isPositiveDefinite()) return null;
  const L = chol.lowerTriangularMatrix;
  const pivotFloor = D * Number.EPSILON * maxDiag;
  for (let k = 0; k < D; k++) {
    const lkk = L.get(k, k);
    if (!(lkk * lkk > pivotFloor)) return null;
  }
  const sol = chol.solve(rhs);
  const w = new Float64Array(D);
  for (let k = 0; k < D; k++) {
    const v = sol.get(k, 0);
    if (!Number.isFinite(v)) return null;
    w[k] = v;
  }
  return w;
}
