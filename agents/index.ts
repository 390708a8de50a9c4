/**
 * metarl's algorithms, for use from code (`import … from 'metarl/agents'`): training runs, the
 * comparison of Figure 5, checkpoint selection and the supervised evaluation. The CLI's commands are
 * thin wrappers over these.
 */
// The Omniglot envs (Node only: their data is read from files, from $METARL_OMNIGLOT), so that
// `train` and the others know their ids from code as the command line does.
export { omniglotPath, OmniglotDataError, OMNIGLOT_VARIANTS } from '../envs/omniglot-register.ts';
export { train, trainingStop, presetFor, envFactory, isSupervised, type TrainOptions, type TrainingStop, type ProgressRecord } from './trainer.ts';
export { MamlTrpo, type MamlTrpoOptions, type StepLogs, type PhaseTimes } from './maml-trpo.ts';
export { TaskFailedError } from './shards.ts';
export { SupervisedMetaLearner, evaluateSupervised, heldOutTasks, type SupervisedStepLogs, type SupervisedEvalOptions } from './supervised-meta.ts';
export { compareMethods, comparisonMarkdown, evaluationTasks, type CompareOptions, type Comparison, type MethodSpec, type MethodResult, type PairedStep, type GroupGap } from './compare.ts';
export { selectCheckpoint, selectionMarkdown, selectionScore, type SelectOptions, type Selection, type Candidate, type ScoredCandidate } from './select.ts';
export { inspectCheckpoint, inspectionMarkdown, type Inspection, type TensorStats } from './inspect.ts';
