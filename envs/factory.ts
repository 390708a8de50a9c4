import { ConfigError, type TrainConfig } from '../src/config.ts';
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
    // A supervised env (one with sampleBatch) under an RL config: the config was resolved with an RL
    // preset (resolveConfig goes by the id's name), which is the thing to change.
    if (typeof (env as { sampleBatch?: unknown }).sampleBatch === 'function' && ['maml-trpo', 'oracle'].includes(config.algo)) {
      const preset = (env as { loss?: string }).loss === 'mse' ? 'sine' : 'omniglot';
      throw new ConfigError('algo', config.algo, `is an RL algorithm, and ${config.env} is a supervised env: resolve its config with a supervised preset, resolveConfig(${JSON.stringify(config.env)}, ${JSON.stringify(preset)}) (presetFor(make(id)) picks it; the command line does so by itself)`);
    }
    if (config.policy.normalizeActions) {
      try {
        env = new NormalizedActionWrapper(env);
      } catch (e) {
        // An env of one's own with unbounded actions under a preset that normalises them.
        throw new ConfigError('policy.normalizeActions', true, `${(e as Error).message}; for such an env set {"policy": {"normalizeActions": false}} (a --config file)`);
      }
    }
    if (config.algo === 'oracle') {
      if (!env.taskVector || env.taskDim === undefined) {
        throw new ConfigError('algo', 'oracle', `${config.env} has no oracle view: the oracle sees the task through the env's taskVector(task) and taskDim, which it does not define`);
      }
      env = new TaskObservationWrapper(env);
    }
    return env;
  };
}
