import type { TrainConfig } from '../src/config.ts';
import type { MetaEnv } from '../src/types.ts';
import { make } from './index.ts';
import { NormalizedActionWrapper } from './normalized-actions.ts';
import { TaskObservationWrapper } from './oracle.ts';

/**
 * The env factory a config trains and evaluates on: the registered env, with actions in [−1, 1]
 * when `policy.normalizeActions` is set, seen through the task for the oracle. Browser-safe.
 */
export function envFactory(config: TrainConfig): () => MetaEnv {
  return () => {
    let env: MetaEnv = make(config.env);
    if (config.policy.normalizeActions) env = new NormalizedActionWrapper(env);
    if (config.algo === 'oracle') env = new TaskObservationWrapper(env);
    return env;
  };
}
