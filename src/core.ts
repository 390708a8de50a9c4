/**
 * The core of metarl that runs anywhere, in Node and in a browser page (no Node built-ins): the
 * backend, seeded RNG, policy, sampling, returns and GAE, the MAML and TRPO pieces, config, the
 * evaluation protocol, and reading a checkpoint from its bytes. `metarl` adds the Node-only parts
 * (checkpoint files, task files); `metarl/browser` adds the envs and MamlTrpo to this.
 */
export { BACKEND_NAMES, initBackend, secondOrderFixInstalled, type BackendName } from './backend.ts';
export { Rng, createRng, TEST_SEED, type StreamKey } from './rng.ts';
export type { Box, Env, MetaEnv, StepResult, Task, Episodes, Baseline, SupervisedMetaEnv, LabelledBatch } from './types.ts';
export { GaussianMlpPolicy, type PolicyConfig, type ParamValues, type Activation } from './policy.ts';
export { gaussianLogProb, gaussianKl } from './distributions.ts';
export { sampleEpisodes, episodeReturns, meanReturn, type SampleRequest } from './sampler.ts';
export { discountedReturns, computeGae, normalizeAdvantages } from './returns.ts';
export { LinearFeatureBaseline, LinearBaselineFitError } from './linear-baseline.ts';
export { estimateAdvantages, type AdvantageConfig } from './advantages.ts';
export { conjugateGradient, conjugateGradientAsync, conjugateGradientReport, NonPositiveCurvatureError, type ConjugateGradientReport } from './conjugate-gradient.ts';
export {
  TaskObjective,
  adapt,
  adaptValues,
  splitMeta,
  metaShapes,
  reinforceLoss,
  surrogateLoss,
  meanKl,
  pgData,
  type PgData,
  type FvpMode,
} from './maml.ts';
export { trpoStep, type TrpoConfig, type TrpoResult } from './trpo.ts';
export { ConfigError, resolveConfig, applyOverrides, validateConfig, PRESETS, type TrainConfig } from './config.ts';
export { evaluateAdaptation, meanSem, formatStepTable, type StepStat } from './evaluation.ts';
export { parseCheckpoint, CheckpointFormatError } from './checkpoint-format.ts';
