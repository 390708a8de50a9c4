/** Adam settings (Kingma & Ba 2015). */
export interface AdamConfig {
  /** Step size. Default 1e-3. */
  lr: number;
  /** Default 0.9. */
  beta1: number;
  /** Default 0.999. */
  beta2: number;
  /** Default 1e-8. */
  eps: number;
}

/** Adam's moments and step count; plain arrays so they can be checkpointed. */
export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  t: number;
}

/** Fresh Adam state for `n` parameters. */
export function adamInit(n: number): AdamState {
  return { m: new Float64Array(n), v: new Float64Array(n), t: 0 };
}

/**
 * One Adam step, in place on `x` and `state`:
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², x ← x − lr · m̂ / (√v̂ + ε) with bias-corrected m̂, v̂.
 * A non-finite gradient is refused (RangeError) before anything changes.
 */
export function adamStep(x: Float64Array, grad: Float64Array, state: AdamState, cfg: AdamConfig): void {
  for (let i = 0; i < grad.length; i++) {
    if (!Number.isFinite(grad[i]!)) throw new RangeError(`adamStep: gradient entry ${i} is ${grad[i]}`);
  }
  state.t += 1;
  const c1 = 1 - cfg.beta1 ** state.t;
  const c2 = 1 - cfg.beta2 ** state.t;
  for (let i = 0; i < x.length; i++) {
    const g = grad[i]!;
    state.m[i] = cfg.beta1 * state.m[i]! + (1 - cfg.beta1) * g;
    state.v[i] = cfg.beta2 * state.v[i]! + (1 - cfg.beta2) * g * g;
    x[i]! -= (cfg.lr * (state.m[i]! / c1)) / (Math.sqrt(state.v[i]! / c2) + cfg.eps);
  }
}
