import type { Episodes } from './types.ts';

/** How an episode ended: at a terminal state (no bootstrap) or at a time limit (bootstrap from `finalObs`). */
type EpisodeEnd = 'terminated' | 'truncated';

function checkUnitInterval(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must lie in [0, 1], got ${value}`);
}

function checkLength(name: string, arr: ArrayLike<number>, expected: number): void {
  if (arr.length !== expected) {
    throw new RangeError(`${name} must have length ${expected}, got ${arr.length}`);
  }
}

/**
 * Length and end kind of episode `b`. A terminated flag wins over a truncated one on the
 * same step (Gymnasium semantics). Throws on a length outside `[0, T]` or an unflagged last step,
 * since either means the batch was assembled wrongly and any return computed from it is silently wrong.
 */
function episodeEnd(ep: Episodes, b: number): { length: number; end: EpisodeEnd } {
  // Checked below (an index past the batch reads undefined, which the check refuses too).
  const length = ep.lengths[b]!;
  if (!(Number.isInteger(length) && length >= 0 && length <= ep.T)) {
    throw new RangeError(`episode ${b}: length must be an integer in [0, ${ep.T}], got ${length}`);
  }
  if (length === 0) return { length, end: 'terminated' };
  const i = (length - 1) * ep.B + b;
  if (ep.terminated[i]) return { length, end: 'terminated' };
  if (ep.truncated[i]) return { length, end: 'truncated' };
  throw new RangeError(
    `episode ${b}: last step t=${length - 1} is neither terminated nor truncated ` +
      `(terminated=${ep.terminated[i]}, truncated=${ep.truncated[i]})`,
  );
}

/**
 * Discounted reward-to-go of every step, time-major `[T, B]` (index `t * B + b`), 0 on padding.
 *
 * `G_t = r_t + γ G_{t+1}` backwards from the last step `L-1 = lengths[b] - 1`, where
 * `G_L = 0` for a terminated episode and `G_L = bootstrap[b]` (the value of `finalObs[b]`)
 * for a truncated one. Without `bootstrap`, truncated episodes are treated as if the
 * value after the time limit were 0 (plain Monte-Carlo returns, as in MAML-RL).
 *
 * @param ep episodes `[T, B]`
 * @param gamma discount γ in [0, 1]
 * @param bootstrap `[B]` value estimates of `finalObs`; read only for truncated episodes
 * @returns `[T, B]` returns, accumulated in float64
 * @throws RangeError on a last step that is neither terminated nor truncated, or on bad shapes
 */
export function discountedReturns(ep: Episodes, gamma: number, bootstrap?: Float32Array): Float32Array {
  checkUnitInterval('gamma', gamma);
  checkLength('rewards', ep.rewards, ep.T * ep.B);
  if (bootstrap !== undefined) checkLength('bootstrap', bootstrap, ep.B);
  const { B } = ep;
  const out = new Float32Array(ep.T * B);
  for (let b = 0; b < B; b++) {
    const { length, end } = episodeEnd(ep, b);
    let g = end === 'truncated' && bootstrap !== undefined ? bootstrap[b]! : 0;
    for (let t = length - 1; t >= 0; t--) {
      g = ep.rewards[t * B + b]! + gamma * g;
      out[t * B + b] = g;
    }
  }
  return out;
}

/**
 * Generalized advantage estimation (Schulman et al. 2016, "High-Dimensional Continuous Control
 * Using Generalized Advantage Estimation"), time-major `[T, B]`, 0 on padding.
 *
 * `δ_t = r_t + γ V(s_{t+1}) − V(s_t)` and `A_t = δ_t + γλ A_{t+1}` (with `A_L = 0`), where on the last
 * step `V(s_L) = 0` if the episode terminated and `V(s_L) = finalValues[b]` if it was truncated.
 * λ = 1 gives `A_t = G_t − V(s_t)` (returns bootstrapped with `finalValues`); λ = 0 gives `A_t = δ_t`.
 *
 * @param ep episodes `[T, B]`
 * @param values `[T, B]` baseline values `V(s_t)`; padding entries are ignored
 * @param finalValues `[B]` values of `finalObs[b]`; read only for truncated episodes
 * @param gamma discount γ in [0, 1]
 * @param lambda GAE λ in [0, 1]
 * @returns `[T, B]` advantages, accumulated in float64
 * @throws RangeError on a last step that is neither terminated nor truncated, or on bad shapes
 */
export function computeGae(
  ep: Episodes,
  values: Float32Array,
  finalValues: Float32Array,
  gamma: number,
  lambda: number,
): Float32Array {
  checkUnitInterval('gamma', gamma);
  checkUnitInterval('lambda', lambda);
  checkLength('rewards', ep.rewards, ep.T * ep.B);
  checkLength('values', values, ep.T * ep.B);
  checkLength('finalValues', finalValues, ep.B);
  const { B } = ep;
  const out = new Float32Array(ep.T * B);
  const gl = gamma * lambda;
  for (let b = 0; b < B; b++) {
    const { length, end } = episodeEnd(ep, b);
    let nextValue = end === 'truncated' ? finalValues[b]! : 0;
    let adv = 0;
    for (let t = length - 1; t >= 0; t--) {
      const i = t * B + b;
      const delta = ep.rewards[i]! + gamma * nextValue - values[i]!;
      adv = delta + gl * adv;
      out[i] = adv;
      nextValue = values[i]!;
    }
  }
  return out;
}

/**
 * Standardises advantages over the real steps: `(A − μ) / (σ + eps)` with the masked mean μ and
 * the masked population standard deviation σ (divide by the count, not count − 1).
 * Padding (`mask` 0) stays 0. A batch with no real step is returned as all zeros.
 *
 * @param adv `[T, B]` advantages (padding values are ignored)
 * @param mask `[T, B]`, nonzero on real steps
 * @param eps added to σ so a constant batch does not divide by 0
 * @returns a new `[T, B]` array
 */
export function normalizeAdvantages(adv: Float32Array, mask: Float32Array, eps = 1e-8): Float32Array {
  checkLength('mask', mask, adv.length);
  if (!(eps >= 0)) throw new RangeError(`eps must be >= 0, got ${eps}`);
  const out = new Float32Array(adv.length);
  let count = 0;
  let sum = 0;
  for (let i = 0; i < adv.length; i++) {
    if (mask[i] !== 0) {
      count++;
      sum += adv[i]!;
    }
  }
  if (count === 0) return out;
  const mean = sum / count;
  // Two passes rather than E[x²] − E[x]², which cancels badly when |μ| ≫ σ.
  let sq = 0;
  for (let i = 0; i < adv.length; i++) {
    if (mask[i] !== 0) {
      const d = adv[i]! - mean;
      sq += d * d;
    }
  }
  const denom = Math.sqrt(sq / count) + eps;
  // σ + eps = 0 only for a constant batch with eps = 0: the centred values are all 0 then, keep them 0.
  const scale = denom > 0 ? 1 / denom : 0;
  for (let i = 0; i < adv.length; i++) {
    if (mask[i] !== 0) out[i] = (adv[i]! - mean) * scale;
  }
  return out;
}
