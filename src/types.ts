import type { Rng } from './rng.ts';

/** A box space: every component of a vector lies in [low[i], high[i]] (±Infinity allowed). */
export interface Box {
  readonly shape: readonly [number];
  readonly low: Float32Array;
  readonly high: Float32Array;
}

/** What {@link Env.step} returns. `terminated` (a terminal state) and `truncated` (time limit) are separate. */
export interface StepResult {
  obs: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

/**
 * Gymnasium-style environment over flat float vectors.
 *
 * `reset({ seed })` re-seeds the env's own randomness (reset noise); `step` must not be
 * called after an episode ended without a `reset`. `truncated` is set on the step that
 * reaches `maxEpisodeSteps` unless that step is also terminal.
 */
export interface Env {
  /** The id the env is registered under (`register({ id, … })`); `make(id)` checks they are equal. */
  readonly id: string;
  /** The observations' space (their length is `observationSpace.shape[0]`, the policy's input size). */
  readonly observationSpace: Box;
  /** The actions' space: the policy's output size, and the bounds actions are normalised to (`policy.normalizeActions`). */
  readonly actionSpace: Box;
  /** The horizon H: the step that reaches it is `truncated` (1 for supervised, horizon-1 envs). */
  readonly maxEpisodeSteps: number;
  /** Starts an episode; `seed` re-seeds the env's reset noise. Returns the first observation. */
  reset(opts?: { seed?: number }): { obs: Float32Array };
  /** Applies `action` (of `actionSpace`'s shape) for one control step. */
  step(action: Float32Array): StepResult;
}

/** A task: plain JSON (`{ goal: [x, y] }`, `{ velocity: 1.3 }`), so it can be logged and replayed. */
export type Task = Record<string, unknown>;

/** A parameterised MDP: a distribution over tasks and an env whose dynamics or reward follow the task. */
export interface MetaEnv<T extends Task = Task> extends Env {
  /** `n` tasks drawn from the task distribution with `rng`. */
  sampleTasks(n: number, rng: Rng): T[];
  /** Makes `task` the current task (call it between episodes, then `reset`). Throws, naming the field, on a malformed task. */
  setTask(task: T): void;
  /** The current task (as set by {@link setTask}). */
  getTask(): T;
  /**
   * Task parameters as a vector (for the oracle, which sees them in its observation).
   * Optional; the length is `taskDim`.
   */
  taskVector?(task: T): Float32Array;
  /** The length of {@link taskVector}'s vectors; needed with it (the oracle's input grows by it). */
  readonly taskDim?: number | undefined;
}

/**
 * A batch of `B` episodes of up to `T` steps, time-major (index `t * B + b`).
 *
 * Steps past an episode's length are padding: `mask` is 0 there and every other field 0.
 * `terminated[t*B+b]`/`truncated[t*B+b]` are set on the last step of an episode only.
 * `finalObs[b]` is the observation after the last step (used to bootstrap a truncated episode).
 */
export interface Episodes {
  readonly T: number;
  readonly B: number;
  readonly obsDim: number;
  readonly actDim: number;
  /** `[T, B, obsDim]` */
  readonly obs: Float32Array;
  /** `[T, B, actDim]` */
  readonly actions: Float32Array;
  /** `[T, B]` */
  readonly rewards: Float32Array;
  /** `[T, B]`, 1 on real steps, 0 on padding */
  readonly mask: Float32Array;
  /** `[T, B]` */
  readonly terminated: Uint8Array;
  /** `[T, B]` */
  readonly truncated: Uint8Array;
  /** `[B]` */
  readonly lengths: Int32Array;
  /** `[B, obsDim]` */
  readonly finalObs: Float32Array;
  readonly task: Task;
}

/** A state-value baseline fitted per task batch on plain arrays. */
export interface Baseline {
  /** Fits to the discounted returns of `ep`. */
  fit(ep: Episodes, returns: Float32Array): void;
  /** Value estimates `[T, B]` (0 on padding). */
  predict(ep: Episodes): Float32Array;
  /** Value estimates of `finalObs` `[B]` at time `lengths[b]`. */
  predictFinal(ep: Episodes): Float32Array;
}

/** A batch of labelled examples, row-major: `x [n, ...inputShape]`, `y [n, targetDim]` or class ids `[n]`. */
export interface LabelledBatch {
  n: number;
  x: Float32Array;
  /** Regression targets (Float32Array `[n, targetDim]`) or class indices (Int32Array `[n]`). */
  y: Float32Array | Int32Array;
}

/**
 * A horizon-1 MetaEnv whose loss is differentiable (a supervised task as a horizon-1 MDP): one episode is one labelled example (observation = input, action =
 * prediction, reward = −loss, terminated after one step). {@link sampleBatch} draws many such
 * one-step episodes at once, with their labels, for the differentiable inner and outer losses.
 */
export interface SupervisedMetaEnv<T extends Task = Task> extends MetaEnv<T> {
  readonly loss: 'mse' | 'cross-entropy';
  /** Shape of one input (e.g. [1] for sine, [28, 28, 1] for Omniglot). */
  readonly inputShape: readonly number[];
  /** Prediction width: target dimension (regression) or number of classes (classification). */
  readonly outputDim: number;
  /**
   * `count` labelled examples of `task` (per class for classification), drawn with `rng`.
   */
  sampleBatch(task: T, count: number, rng: Rng): LabelledBatch;
}
