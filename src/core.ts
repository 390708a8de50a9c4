/**
 * The core of metarl that runs anywhere, in Node and in a browser page (no Node built-ins): the
 * backend, seeded RNG, policy, sampling, returns and GAE, the MAML and TRPO pieces, config, the
 * evaluation protocol, and reading a checkpoint from its bytes. `metarl` adds the Node-only parts
 * (checkpoint files, task files); `metarl/browser` adds the envs and MamlTrpo to this.
 */
export { BACKEND_NAMES, initBackend, secondOrderFixInstalled, type BackendName, type InitBackendOptions } from './backend.ts';
export { Rng, createRng, TEST_SEED, type StreamKey } from './rng.ts';
export type { Box, Env, MetaEnv, StepResult, Task, Episodes, Baseline, SupervisedMetaEnv, LabelledBatch } from './types.ts';
export { GaussianMlpPolicy, type PolicyConfig, type ParamValues, type Activation } from './policy.ts';
export { gaussianLogProb, gaussianKl } from './distributions.ts';
export { sampleEpisodes, episodeReturns, meanReturn, type SampleRequest } from './sampler.ts';
export { discountedReturns, computeGae, normalizeAdvantages } from './returns.ts';
export { LinearFeatureBaseline, LinearBaselineFitError, type LinearFeatureBaselineOptions } from './linear-baseline.ts';
export { estimateAdvantages, type AdvantageConfig } from './advantages.ts';
export { conjugateGradient, conjugateGradientAsync, conjugateGradientReport, NonPositiveCurvatureError, type ConjugateGradientReport, type ConjugateGradientOptions } from './conjugate-gradient.ts';
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
  toTensors,
  validTensors,
  disposeBatch,
  adaptPath,
  type PgData,
  type PgTensors,
  type ValidTensors,
  type TaskObjectiveOptions,
  type InnerLoss,
  type FvpMode,
} from './maml.ts';
export { trpoStep, type TrpoConfig, type TrpoResult, type TrpoProblem } from './trpo.ts';
export { flattenValues, unflattenValues } from './params.ts';
export { ConfigError, resolveConfig, applyOverrides, validateConfig, PRESETS, type TrainConfig } from './config.ts';
export { evaluateAdaptation, evaluationTasks, meanSem, formatStepTable, type StepStat, type EvaluationOptions } from './evaluation.ts';
export { isSupervised, presetFor } from './env-contract.ts';
export { parseCheckpoint, CheckpointFormatError, type Checkpoint, type CheckpointMeta } from './checkpoint-format.ts';
