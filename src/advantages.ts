import type { Episodes } from './types.ts';
import { LinearFeatureBaseline } from './linear-baseline.ts';
import { computeGae, discountedReturns, normalizeAdvantages } from './returns.ts';

/** Settings of {@link estimateAdvantages}. */
export interface AdvantageConfig {
  gamma: number;
  gaeLambda: number;
  normalize: boolean;
  /** Bootstrap a truncated episode with V(finalObs) (default true); false treats it as terminal, as pytorch-maml-rl does. */
  bootstrapTruncated?: boolean;
  regCoeff: number;
}

/**
 * Advantages of a batch `[T, B]`: fit a fresh linear feature baseline to the discounted returns,
 * then GAE(γ, λ) (Schulman et al. 2016) with the baseline as V; a truncated episode is bootstrapped
 * with V(finalObs), a terminated one is not. Optionally normalised over the real steps.
 */
export function estimateAdvantages(ep: Episodes, cfg: AdvantageConfig): Float32Array {
  const baseline = new LinearFeatureBaseline({ regCoeff: cfg.regCoeff });
  baseline.fit(ep, discountedReturns(ep, cfg.gamma));
  const finalValues = cfg.bootstrapTruncated === false ? new Float32Array(ep.B) : baseline.predictFinal(ep);
  const adv = computeGae(ep, baseline.predict(ep), finalValues, cfg.gamma, cfg.gaeLambda);
  return cfg.normalize ? normalizeAdvantages(adv, ep.mask) : adv;
}
