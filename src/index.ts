/** metarl: meta-reinforcement learning on TensorFlow.js. What users import. */
export * from './core.ts';
// Node only: files.
export { readTaskFile } from './task-file.ts';
export { saveCheckpoint, loadCheckpoint, CheckpointError, type Checkpoint, type CheckpointMeta, type OptimizerState } from './checkpoint.ts';
