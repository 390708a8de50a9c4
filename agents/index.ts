/**
 * metarl's algorithms, for use from code (`import … from 'metarl/agents'`): training runs, the
 * comparison of Figure 5, checkpoint selection and the supervised evaluation. The CLI's commands are
 * thin wrappers over these.
 */
export { train, trainingStop, presetFor, type TrainOptions, type TrainingStop, type ProgressRecord } from './trainer.ts';
export { MamlTrpo, type MamlTrpoOptions, type StepLogs } from './maml-trpo.ts';
export { SupervisedMetaLearner, evaluateSupervised, heldOutTasks, type SupervisedStepLogs } from './supervised-meta.ts';
export { compareMethods, comparisonMarkdown, type CompareOptions, type Comparison, type MethodSpec, type MethodResult } from './compare.ts';
export { selectCheckpoint, selectionMarkdown, type SelectOptions, type Selection } from './select.ts';
