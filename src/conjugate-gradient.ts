/** Options of {@link conjugateGradient} and {@link conjugateGradientAsync}. */
export interface ConjugateGradientOptions {
  /** Maximum number of iterations, i.e. of matrix-vector products. Default 10 (`cgIters`). */
  iters?: number;
  /** Stop once the squared residual norm `rᵀr` falls below this. Default 1e-10. */
  residualTol?: number;
  /**
   * What to do when a search direction has `pᵀAp ≤ 0` after at least one completed iteration:
   * `false` (default) throws {@link NonPositiveCurvatureError}; `true` stops and returns the current
   * iterate (Steihaug 1983's truncation). Every iterate `x_k`, k ≥ 1, of CG from 0 satisfies
   * `bᵀx_k > 0`, so it is still an ascent direction of `bᵀx`. At the first iteration there is no
   * iterate yet, and a non-finite `pᵀAp` always means a broken product: both still throw.
   */
  truncate?: boolean;
}

/** How a conjugate-gradient solve ended. */
export interface ConjugateGradientReport {
  /** The approximate solution. */
  x: Float64Array;
  /** Completed iterations (updates of `x`); matrix-vector products used = `iterations` (+1 if truncated). */
  iterations: number;
  /**
   * `'residual'`: `rᵀr < residualTol`; `'iterations'`: the `iters` budget ran out;
   * `'truncated'`: `pᵀAp ≤ 0` met with `truncate` on.
   */
  stop: 'residual' | 'iterations' | 'truncated';
}

/** Thrown when `pᵀAp` is not a positive finite number and truncation is off or impossible. */
export class NonPositiveCurvatureError extends RangeError {
  /** The 0-based iteration whose direction had the bad curvature. */
  readonly iteration: number;
  /** The offending `pᵀAp`. */
  readonly curvature: number;

  /**
   * @param iteration the 0-based iteration whose direction had the bad curvature.
   * @param curvature the offending `pᵀAp`.
   */
  constructor(
    iteration: number,
    curvature: number,
  ) {
    super(`conjugateGradient: pᵀAp = ${curvature} at iteration ${iteration}; A must be symmetric positive definite`);
    this.iteration = iteration;
    this.curvature = curvature;
    this.name = 'NonPositiveCurvatureError';
  }
}

/**
 * The conjugate-gradient iteration as a coroutine: it yields each search direction `p` to be
 * multiplied by `A`, receives `A p`, and returns `x`. The sync and async solvers only differ in how
 * they obtain `A p`, so the algorithm lives here once.
 */
function* cgIterations(
  b: Float64Array,
  opts: ConjugateGradientOptions,
): Generator<Float64Array, ConjugateGradientReport, Float64Array> {
  const { iters = 10, residualTol = 1e-10, truncate = false } = opts;
  if (!(Number.isInteger(iters) && iters >= 0)) {
    throw new RangeError(`conjugateGradient: iters must be a non-negative integer, got ${iters}`);
  }
  if (!(residualTol >= 0)) throw new RangeError(`conjugateGradient: residualTol must be >= 0, got ${residualTol}`);
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b); // r = b − A·0
  const p = Float64Array.from(b);
  let rr = dot(r, r);
  if (!Number.isFinite(rr)) throw new RangeError(`conjugateGradient: b has a non-finite entry (bᵀb = ${rr})`);
  let k = 0;
  for (; k < iters && rr >= residualTol; k++) {
    // Hand out a copy so a product that writes into its argument cannot corrupt the iteration.
    const ap = yield p.slice();
    if (ap.length !== n) {
      throw new RangeError(`conjugateGradient: matrix-vector product has length ${ap.length}, expected ${n}`);
    }
    const pAp = dot(p, ap);
    // A is symmetric positive definite by contract; pᵀAp ≤ 0 or NaN means the operator (e.g. a
    // Fisher-vector product without damping) broke it, and continuing would produce a wrong step.
    if (!(pAp > 0 && Number.isFinite(pAp))) {
      if (truncate && k > 0 && Number.isFinite(pAp)) return { x, iterations: k, stop: 'truncated' };
      throw new NonPositiveCurvatureError(k, pAp);
    }
    const alpha = rr / pAp;
    for (let i = 0; i < n; i++) {
      x[i]! += alpha * p[i]!;
      r[i]! -= alpha * ap[i]!;
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
    rr = rrNew;
  }
  return { x, iterations: k, stop: rr < residualTol ? 'residual' : 'iterations' };
}

/**
 * Solves `A x = b` for a symmetric positive definite `A` known only through `v ↦ A v`
 * (Hestenes & Stiefel 1952; used by TRPO, Schulman et al. 2015, with `A` the damped Fisher matrix).
 *
 * Starts at `x₀ = 0`, `r₀ = p₀ = b`; each iteration
 * `α = rᵀr / pᵀAp`, `x += α p`, `r −= α A p`, `β = r'ᵀr' / rᵀr`, `p = r' + β p`,
 * and stops after `iters` products or as soon as `rᵀr < residualTol` (checked before each product,
 * so `b = 0` costs no product).
 * With `truncate`, a non-positive curvature after the first iteration ends the solve early instead.
 *
 * @param fvp matrix-vector product `v ↦ A v`, `[n] → [n]`; receives a fresh copy each call
 * @param b right-hand side `[n]`
 * @returns the approximate solution `x` `[n]`
 * @throws NonPositiveCurvatureError (a RangeError) if `pᵀAp` is not a positive finite number
 *   (A not SPD, or NaN in the product) and the solve cannot be truncated
 */
export function conjugateGradient(
  fvp: (v: Float64Array) => Float64Array,
  b: Float64Array,
  opts: ConjugateGradientOptions = {},
): Float64Array {
  const it = cgIterations(b, opts);
  for (let step = it.next(); ; ) {
    if (step.done === true) return step.value.x;
    step = it.next(fvp(step.value));
  }
}

/**
 * {@link conjugateGradient} for an asynchronous product (e.g. a Fisher-vector product that reads
 * tensor data back with `await t.data()`). Same iteration, same result bit for bit.
 */
export async function conjugateGradientAsync(
  fvp: (v: Float64Array) => Promise<Float64Array>,
  b: Float64Array,
  opts: ConjugateGradientOptions = {},
): Promise<Float64Array> {
  return (await conjugateGradientReport(fvp, b, opts)).x;
}

/**
 * {@link conjugateGradientAsync} that also says how the solve ended (iterations used, and whether
 * it converged, ran out of iterations or was truncated). Same `x` bit for bit.
 */
export async function conjugateGradientReport(
  fvp: (v: Float64Array) => Promise<Float64Array>,
  b: Float64Array,
  opts: ConjugateGradientOptions = {},
): Promise<ConjugateGradientReport> {
  const it = cgIterations(b, opts);
  for (let step = it.next(); ; ) {
    if (step.done === true) return step.value;
    step = it.next(await fvp(step.value));
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
