import type { Episodes } from './types.ts';
import { LinearFeatureBaseline } from './linear-baseline.ts';
import { computeGae, discountedReturns, normalizeAdvantages } from './returns.ts';

/** Settings of {@link estimateAdvantages}. */
export interface AdvantageConfig {
  gamma: number;
  gaeLambda: number;
  normalize: boolean;
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
  const adv = computeGae(ep, baseline.predict(ep), baseline.predictFinal(ep), cfg.gamma, cfg.gaeLambda);
  return cfg.normalize ? normalizeAdvantages(adv, ep.mask) : adv;
}
