import { allFinite, dot } from './params.ts';
import { conjugateGradientReport, NonPositiveCurvatureError, type ConjugateGradientReport } from './conjugate-gradient.ts';

/** TRPO step settings (Schulman et al. 2015), names as in the MAML-RL ports. */
export interface TrpoConfig {
  /** KL trust region δ. Default 0.01. */
  maxKl: number;
  /** Conjugate-gradient iterations. Default 10. */
  cgIters: number;
  /** Damping λ added to the Fisher matrix: (F + λI) v. Default 1e-5. */
  cgDamping: number;
  /** Backtracking steps of the line search. Default 15. */
  lsMaxSteps: number;
  /** Step shrink factor per backtrack. Default 0.8. */
  lsBacktrackRatio: number;
  /**
   * When CG meets a direction with non-positive curvature after its first iteration, step along the
   * iterate reached so far (Steihaug truncation) instead of skipping the update. Such curvature
   * comes from noise in a finite-difference Fisher-vector product. Default false.
   */
  cgTruncate: boolean;
}

/** Outcome of one {@link trpoStep}. */
export interface TrpoResult {
  /** The new parameters (a copy of x0 when the step was rejected). */
  x: Float64Array;
  accepted: boolean;
  /** Why the step was rejected, or 'accepted'. */
  outcome: 'accepted' | 'line-search-failed' | 'non-finite-gradient' | 'non-finite-step' | 'cg-failed';
  /** Backtracks tried (1 = full step accepted). */
  lineSearchSteps: number;
  /** Surrogate loss and KL at the returned parameters' candidate (last tried). */
  loss: number;
  kl: number;
  /** Fraction of the full step taken (0 when rejected). */
  stepFraction: number;
  /** CG iterations completed (for 'cg-failed': the iteration whose curvature was refused). */
  cgIterations: number;
  /** How CG ended; 'failed' when it refused a curvature (outcome 'cg-failed'), 'none' when not run. */
  cgStop: ConjugateGradientReport['stop'] | 'failed' | 'none';
}

/** The pieces a TRPO step needs, all on flat float64 vectors. */
export interface TrpoProblem {
  x0: Float64Array;
  loss0: number;
  /** ∇ loss at x0. */
  grad: Float64Array;
  /** v ↦ (F + damping·I) v at x0; may be async (workers). */
  fvp: (v: Float64Array) => Promise<Float64Array>;
  /** Loss and mean KL(old ‖ new) at x. */
  evaluate: (x: Float64Array) => Promise<{ loss: number; kl: number }>;
}

/**
 * One trust-region step: s = F⁻¹ g by conjugate gradient (`cgIters` iterations, truncated at a
 * non-positive curvature when `cgTruncate` is on), full step Δ = −s · sqrt(2δ / sᵀFs),
 * then backtracking x = x0 + rᵏ Δ (k = 0…lsMaxSteps−1) until the loss improves and KL ≤ δ.
 * When no candidate qualifies, or anything is non-finite, x0 is returned unchanged:
 * a non-finite value never reaches the parameters.
 */
export async function trpoStep(p: TrpoProblem, cfg: TrpoConfig): Promise<TrpoResult> {
  let cgIterations = 0;
  let cgStop: TrpoResult['cgStop'] = 'none';
  const reject = (outcome: TrpoResult['outcome'], steps = 0, loss = p.loss0, kl = 0): TrpoResult => ({
    x: p.x0.slice(),
    accepted: false,
    outcome,
    lineSearchSteps: steps,
    loss,
    kl,
    stepFraction: 0,
    cgIterations,
    cgStop,
  });
  if (!allFinite(p.grad) || !Number.isFinite(p.loss0)) return reject('non-finite-gradient');
  let s: Float64Array;
  try {
    const cg = await conjugateGradientReport(p.fvp, p.grad, { iters: cfg.cgIters, truncate: cfg.cgTruncate });
    ({ x: s, iterations: cgIterations, stop: cgStop } = cg);
  } catch (e) {
    // CG refuses a non-positive curvature (pᵀFp ≤ 0, e.g. float32 noise in a finite-difference
    // product) that it cannot truncate: skip this update rather than step along a meaningless direction.
    if (e instanceof NonPositiveCurvatureError) {
      cgIterations = e.iteration;
      cgStop = 'failed';
      return reject('cg-failed');
    }
    throw e;
  }
  const Fs = await p.fvp(s);
  const shs = 0.5 * dot(s, Fs);
  if (!allFinite(s) || !Number.isFinite(shs) || shs <= 0) return reject('non-finite-step');
  const scale = 1 / Math.sqrt(shs / cfg.maxKl);
  let frac = 1;
  let last = { loss: p.loss0, kl: 0 };
  for (let k = 0; k < cfg.lsMaxSteps; k++) {
    const x = new Float64Array(p.x0.length);
    for (let i = 0; i < x.length; i++) x[i] = p.x0[i]! - frac * scale * s[i]!;
    last = await p.evaluate(x);
    if (Number.isFinite(last.loss) && Number.isFinite(last.kl) && last.loss < p.loss0 && last.kl <= cfg.maxKl) {
      return { x, accepted: true, outcome: 'accepted', lineSearchSteps: k + 1, loss: last.loss, kl: last.kl, stepFraction: frac, cgIterations, cgStop };
    }
    frac *= cfg.lsBacktrackRatio;
  }
  return reject('line-search-failed', cfg.lsMaxSteps, last.loss, last.kl);
}
