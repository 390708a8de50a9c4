import type { Box, LabelledBatch, StepResult, SupervisedMetaEnv } from '../src/types.ts';
import { createRng, type Rng } from '../src/rng.ts';
import { showJson } from '../src/suggest.ts';

/** A sine task: y = amplitude · sin(x − phase). */
export interface SineTask {
  [key: string]: unknown;
  amplitude: number;
  phase: number;
}

const X_RANGE = 5;

/** Throws a RangeError naming the field when `task` is not a sine task (finite amplitude and phase). */
function checkSineTask(id: string, task: SineTask): void {
  for (const k of ['amplitude', 'phase'] as const) {
    if (typeof task?.[k] !== 'number' || !Number.isFinite(task[k])) {
      throw new RangeError(`${id}: task.${k} must be a finite number, got ${showJson(task?.[k])}`);
    }
  }
}

/**
 * Sine-wave regression as a horizon-1 MDP (Finn, Abbeel, Levine 2017, §5.1): amplitude
 * U[0.1, 5], phase U[0, π], inputs x ~ U[−5, 5], loss = squared error.
 * An episode: `reset` draws x (the observation), `step(prediction)` returns
 * reward −(prediction − y)² and terminates.
 */
export class SineRegressionEnv implements SupervisedMetaEnv<SineTask> {
  /** `SineRegression-v0`; a variant built on this class registers under its own id and sets it here. */
  readonly id: string = 'SineRegression-v0';
  readonly observationSpace: Box = { shape: [1], low: Float32Array.of(-X_RANGE), high: Float32Array.of(X_RANGE) };
  readonly actionSpace: Box = { shape: [1], low: Float32Array.of(-Infinity), high: Float32Array.of(Infinity) };
  readonly maxEpisodeSteps = 1;
  readonly loss = 'mse' as const;
  readonly inputShape = [1] as const;
  readonly outputDim = 1;
  readonly taskDim = 2;
  private task: SineTask = { amplitude: 1, phase: 0 };
  private x = 0;
  private done = true;
  private rng: Rng = createRng(0);

  sampleTasks(n: number, rng: Rng): SineTask[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`sampleTasks: n must be a non-negative integer, got ${n}`);
    return Array.from({ length: n }, () => ({ amplitude: rng.uniformRange(0.1, 5), phase: rng.uniformRange(0, Math.PI) }));
  }

  setTask(task: SineTask): void {
    checkSineTask(this.id, task);
    this.task = { amplitude: task.amplitude, phase: task.phase };
  }

  getTask(): SineTask {
    return { ...this.task };
  }

  taskVector(task: SineTask): Float32Array {
    return Float32Array.of(task.amplitude, task.phase);
  }

  /** y(x) for the current task. */
  target(x: number, task: SineTask = this.task): number {
    return task.amplitude * Math.sin(x - task.phase);
  }

  reset(opts: { seed?: number } = {}): { obs: Float32Array } {
    if (opts.seed !== undefined) this.rng = createRng(opts.seed);
    this.x = this.rng.uniformRange(-X_RANGE, X_RANGE);
    this.done = false;
    return { obs: Float32Array.of(this.x) };
  }

  step(action: Float32Array): StepResult {
    if (this.done) throw new Error('SineRegression-v0: step() called after the episode ended; call reset()');
    const err = action[0]! - this.target(this.x);
    this.done = true;
    return { obs: Float32Array.of(this.x), reward: -err * err, terminated: true, truncated: false };
  }

  sampleBatch(task: SineTask, count: number, rng: Rng): LabelledBatch {
    checkSineTask(this.id, task);
    const x = new Float32Array(count);
    const y = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      x[i] = rng.uniformRange(-X_RANGE, X_RANGE);
      y[i] = this.target(x[i]!, task);
    }
    return { n: count, x, y };
  }
}
