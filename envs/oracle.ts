import type { Box, MetaEnv, StepResult, Task } from '../src/types.ts';
import type { Rng } from '../src/rng.ts';
import { EnvContractError } from '../src/env-contract.ts';

/**
 * The oracle's view of a parameterised MDP: the task parameters (`env.taskVector(task)`) are
 * appended to every observation, so one policy can solve every task without adapting
 * (the "oracle" comparison of Finn et al. 2017, Fig. 5). Dynamics and rewards are unchanged.
 */
export class TaskObservationWrapper implements MetaEnv {
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  readonly maxEpisodeSteps: number;
  private taskVec: Float32Array;
  private readonly inner: MetaEnv;

  /**
   * @param inner the env whose task is appended to the observation (it must define `taskVector`
   *   and `taskDim`).
   * @throws TypeError when it does not.
   */
  constructor(inner: MetaEnv) {
    this.inner = inner;
    if (!inner.taskVector || inner.taskDim === undefined) {
      throw new TypeError(`${inner.id} does not expose taskVector/taskDim, so it has no oracle view`);
    }
    this.id = inner.id;
    const k = inner.taskDim;
    const o = inner.observationSpace;
    const n = o.shape[0] + k;
    this.observationSpace = {
      shape: [n],
      low: Float32Array.from({ length: n }, (_, i) => (i < o.shape[0] ? o.low[i]! : -Infinity)),
      high: Float32Array.from({ length: n }, (_, i) => (i < o.shape[0] ? o.high[i]! : Infinity)),
    };
    this.actionSpace = inner.actionSpace;
    this.maxEpisodeSteps = inner.maxEpisodeSteps;
    this.taskVec = new Float32Array(k);
    const draw = (inner as { renderState?: unknown }).renderState;
    if (typeof draw === 'function') this.renderState = () => draw.call(inner);
  }

  /** The inner env's drawing state (present when the inner env has one, as the half-cheetah does: `metarl render`). */
  renderState?: () => unknown;

  private augment(obs: Float32Array): Float32Array {
    const out = new Float32Array(obs.length + this.taskVec.length);
    out.set(obs);
    out.set(this.taskVec, obs.length);
    return out;
  }

  sampleTasks(n: number, rng: Rng): Task[] {
    return this.inner.sampleTasks(n, rng);
  }

  setTask(task: Task): void {
    this.inner.setTask(task);
    const v: unknown = this.inner.taskVector!(this.inner.getTask());
    const k = this.inner.taskDim!;
    // Checked here: a wrong length would show as an observation of the wrong length from reset().
    if (!(v instanceof Float32Array || Array.isArray(v)) || v.length !== k) {
      throw new EnvContractError(this.id, [`taskVector(task) returned ${v instanceof Float32Array || Array.isArray(v) ? `${v.length} entries` : typeof v}, and taskDim is ${k}: the oracle appends taskDim entries to each observation`]);
    }
    const bad = Array.from(v as ArrayLike<unknown>).findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) throw new EnvContractError(this.id, [`taskVector(task)[${bad}] is ${String((v as ArrayLike<unknown>)[bad])}, not a finite number`]);
    this.taskVec = Float32Array.from(v as ArrayLike<number>);
  }

  getTask(): Task {
    return this.inner.getTask();
  }

  reset(opts?: { seed?: number }): { obs: Float32Array } {
    return { obs: this.augment(this.inner.reset(opts).obs) };
  }

  step(action: Float32Array): StepResult {
    const r = this.inner.step(action);
    return { ...r, obs: this.augment(r.obs) };
  }
}
