import { ConfigError, cliOptionStyle, type TrainConfig } from '../src/config.ts';
import type { MetaEnv } from '../src/types.ts';
import { isSupervised, presetFor } from '../src/env-contract.ts';
import { make } from './index.ts';
import { NormalizedActionWrapper } from './normalized-actions.ts';
import { TaskObservationWrapper } from './oracle.ts';

/**
 * The data an env reads from files (`dataIdentity()`, as the registered Omniglot envs have): where
 * from and a digest, which training records in its checkpoints; null for an env without data files.
 */
export function envDataIdentity(env: MetaEnv): { source: string; sha256: string } | null {
  const f = (env as { dataIdentity?: unknown }).dataIdentity;
  return typeof f === 'function' ? ((f.call(env) as { source: string; sha256: string } | null) ?? null) : null;
}

/**
 * Whether the data `env` reads is the data a run recorded (`recorded`, from its checkpoint): null
 * when they agree or either is unknown, else a sentence saying what differs.
 */
export function dataMismatch(recorded: { source: string; sha256: string } | undefined, env: MetaEnv): string | null {
  if (!recorded) return null;
  const now = envDataIdentity(env);
  if (now === null || now.sha256 === recorded.sha256) return null;
  return `the run was trained on ${recorded.source} (sha256 ${recorded.sha256.slice(0, 12)}…), and ${env.id} now reads ${now.source} (sha256 ${now.sha256.slice(0, 12)}…)`;
}

/**
 * Whether `env` (as a run is evaluated on it: the factory's env) still has the sizes a run's policy
 * was made for (`recorded`, its checkpoint's `obsDim` and `actDim`): null when it does, else a
 * sentence saying what changed. An env changed under the same id would feed the policy shifted or
 * truncated inputs.
 */
export function spacesMismatch(recorded: { obsDim: number; actDim: number }, env: MetaEnv): string | null {
  const od = env.observationSpace.shape[0];
  const ad = env.actionSpace.shape[0];
  if (od === recorded.obsDim && ad === recorded.actDim) return null;
  return `was trained on ${env.id} with ${recorded.obsDim} observation and ${recorded.actDim} action entries, and ${env.id} as registered now has ${od} and ${ad}: its spaces changed since (a changed env needs a new id version, -vN, and a new run)`;
}

/**
 * The env factory a config trains and evaluates on: the registered env, with actions in [−1, 1]
 * when `policy.normalizeActions` is set, seen through the task for the oracle. Browser-safe.
 * The returned function throws (when called) what `make` throws, and a ConfigError when the config
 * does not fit the env: an RL preset on a supervised env, normalised actions on an env with
 * unbounded ones, the oracle on an env without `taskVector`.
 */
export function envFactory(config: TrainConfig): () => MetaEnv {
  // A partial config would fail on its first missing field, as a TypeError.
  if (config === null || typeof config !== 'object' || typeof config.env !== 'string' || config.policy === null || typeof config.policy !== 'object') {
    throw new ConfigError('config', config === null || typeof config !== 'object' ? config : 'a config without env or policy', 'must be a whole config: build it with resolveConfig(env, preset, overrides)');
  }
  return () => {
    let env: MetaEnv = make(config.env);
    // A supervised env (one with sampleBatch) under the navigation preset (the one that normalises
    // actions; resolveConfig given an id picks presets by the id's name): the preset is the thing to change.
    // (Under a supervised preset with an RL algo, checkAlgoForEnv names the algos that apply.)
    if (isSupervised(env) && config.policy.normalizeActions) {
      const preset = presetFor(env);
      const fix = cliOptionStyle() ? `pass --preset ${preset}` : `resolve it with resolveConfig(make(${JSON.stringify(config.env)})), which picks ${preset}, or resolveConfig(${JSON.stringify(config.env)}, ${JSON.stringify(preset)})`;
      throw new ConfigError('policy.normalizeActions', true, `comes from an RL preset, and ${config.env} is a supervised env, which needs a supervised preset: ${fix}`);
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
      // A supervised env may define taskVector (sine's amplitude and phase), but it has no oracle: its learners are not policies.
      if (typeof (env as { sampleBatch?: unknown }).sampleBatch === 'function') {
        throw new ConfigError('algo', 'oracle', `applies to RL envs, and ${config.env} is a supervised env (there is no oracle there: compare its methods without one)`);
      }
      if (!env.taskVector || env.taskDim === undefined) {
        throw new ConfigError('algo', 'oracle', `${config.env} has no oracle view: the oracle sees the task through the env's taskVector(task) and taskDim, which it does not define`);
      }
      env = new TaskObservationWrapper(env);
    }
    return env;
  };
}
