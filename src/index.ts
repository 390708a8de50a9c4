/** metarl: meta-reinforcement learning on TensorFlow.js. What users import. */
export { initBackend, secondOrderFixInstalled, type BackendName } from './backend.ts';
export { Rng, createRng, type StreamKey } from './rng.ts';
export type { Box, Env, MetaEnv, StepResult, Task, Episodes, Baseline } from './types.ts';
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
export { readTaskFile } from './task-file.ts';
export { saveCheckpoint, loadCheckpoint, CheckpointError, type Checkpoint, type CheckpointMeta } from './checkpoint.ts';
