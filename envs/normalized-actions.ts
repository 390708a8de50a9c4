import type { Box, MetaEnv, StepResult, Task } from '../src/types.ts';
import type { Rng } from '../src/rng.ts';

/**
 * The env seen with actions in [−1, 1]^d: an action `a` is clipped to [−1, 1] and mapped affinely
 * onto the inner env's action box, `low + (a + 1)/2 · (high − low)` (rllab's `normalize`, which the
 * original MAML code wraps around its point env). A policy whose initial σ is 1 then explores the whole
 * box instead of mostly hitting its bounds, and the inner-loop step size acts on the same scale for
 * every env. Observations, rewards and tasks are unchanged.
 */
export class NormalizedActionWrapper implements MetaEnv {
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  readonly maxEpisodeSteps: number;
  readonly taskDim?: number | undefined;
  private readonly low: Float32Array;
  private readonly high: Float32Array;
  private readonly scaled: Float32Array;
  private readonly inner: MetaEnv;

  /**
   * @param inner the env whose actions are rescaled from [−1, 1] to its own bounds.
   * @throws RangeError for an action bound that is not finite or with low ≥ high.
   */
  constructor(inner: MetaEnv) {
    this.inner = inner;
    const { low, high, shape } = inner.actionSpace;
    for (let i = 0; i < low.length; i++) {
      if (!Number.isFinite(low[i]!) || !Number.isFinite(high[i]!) || !(high[i]! > low[i]!)) {
        throw new RangeError(`${inner.id}: action bound ${i} is [${low[i]}, ${high[i]}]; normalizeActions needs finite bounds with low < high`);
      }
    }
    this.id = inner.id;
    this.observationSpace = inner.observationSpace;
    this.actionSpace = { shape: [...shape], low: new Float32Array(low.length).fill(-1), high: new Float32Array(low.length).fill(1) };
    this.maxEpisodeSteps = inner.maxEpisodeSteps;
    this.taskDim = inner.taskDim;
    this.low = low;
    this.high = high;
    this.scaled = new Float32Array(low.length);
    if (inner.taskVector) this.taskVector = (t: Task) => inner.taskVector!(t);
    const draw = (inner as { renderState?: unknown }).renderState;
    if (typeof draw === 'function') this.renderState = () => draw.call(inner);
  }

  /** The task parameters of the inner env (present when the inner env has them). */
  taskVector?: (task: Task) => Float32Array;

  /** The inner env's drawing state (present when the inner env has one, as the half-cheetah does: `metarl render`). */
  renderState?: () => unknown;

  sampleTasks(n: number, rng: Rng): Task[] {
    return this.inner.sampleTasks(n, rng);
  }

  setTask(task: Task): void {
    this.inner.setTask(task);
  }

  getTask(): Task {
    return this.inner.getTask();
  }

  reset(opts?: { seed?: number }): { obs: Float32Array } {
    return this.inner.reset(opts);
  }

  step(action: Float32Array): StepResult {
    if (action.length !== this.scaled.length) {
      throw new RangeError(`${this.id}: action must have length ${this.scaled.length}, got ${action.length}`);
    }
    for (let i = 0; i < action.length; i++) {
      const a = Math.min(1, Math.max(-1, action[i]!));
      this.scaled[i] = this.low[i]! + (a + 1) * 0.5 * (this.high[i]! - this.low[i]!);
    }
    return this.inner.step(this.scaled);
  }
}
