/** Options of {@link conjugateGradient} and {@link conjugateGradientAsync}. */
export interface ConjugateGradientOptions {
  /** Maximum number of iterations, i.e. of matrix-vector products. Default 10 (`cgIters`). */
  iters?: number;
  /** Stop once the squared residual norm `rᵀr` falls below this. Default 1e-10. */
  residualTol?: number;
}

/**
 * The conjugate-gradient iteration as a coroutine: it yields each search direction `p` to be
 * multiplied by `A`, receives `A p`, and returns `x`. The sync and async solvers only differ in how
 * they obtain `A p`, so the algorithm lives here once.
 */
function* cgIterations(
  b: Float64Array,
  opts: ConjugateGradientOptions,
): Generator<Float64Array, Float64Array, Float64Array> {
  const { iters = 10, residualTol = 1e-10 } = opts;
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
  for (let k = 0; k < iters && rr >= residualTol; k++) {
    // Hand out a copy so a product that writes into its argument cannot corrupt the iteration.
    const ap = yield p.slice();
    if (ap.length !== n) {
      throw new RangeError(`conjugateGradient: matrix-vector product has length ${ap.length}, expected ${n}`);
    }
    const pAp = dot(p, ap);
    // A is symmetric positive definite by contract; pᵀAp ≤ 0 or NaN means the operator (e.g. a
    // Fisher-vector product without damping) broke it, and continuing would produce a wrong step.
    if (!(pAp > 0 && Number.isFinite(pAp))) {
      throw new RangeError(`conjugateGradient: pᵀAp = ${pAp} at iteration ${k}; A must be symmetric positive definite`);
    }
    const alpha = rr / pAp;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    rr = rrNew;
  }
  return x;
}

/**
 * Solves `A x = b` for a symmetric positive definite `A` known only through `v ↦ A v`
 * (Hestenes & Stiefel 1952; used by TRPO, Schulman et al. 2015, with `A` the damped Fisher matrix).
 *
 * Starts at `x₀ = 0`, `r₀ = p₀ = b`; each iteration
 * `α = rᵀr / pᵀAp`, `x += α p`, `r −= α A p`, `β = r'ᵀr' / rᵀr`, `p = r' + β p`,
 * and stops after `iters` products or as soon as `rᵀr < residualTol` (checked before each product,
 * so `b = 0` costs no product).
 *
 * @param fvp matrix-vector product `v ↦ A v`, `[n] → [n]`; receives a fresh copy each call
 * @param b right-hand side `[n]`
 * @returns the approximate solution `x` `[n]`
 * @throws RangeError if `pᵀAp` is not a positive finite number (A not SPD, or NaN in the product)
 */
export function conjugateGradient(
  fvp: (v: Float64Array) => Float64Array,
  b: Float64Array,
  opts: ConjugateGradientOptions = {},
): Float64Array {
  const it = cgIterations(b, opts);
  let step = it.next();
  while (!step.done) step = it.next(fvp(step.value));
  return step.value;
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
  const it = cgIterations(b, opts);
  let step = it.next();
  while (!step.done) step = it.next(await fvp(step.value));
  return step.value;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
