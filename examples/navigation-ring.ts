/**
 * An env variant in one file: 2D navigation whose goals lie on a circle of radius 0.5 around the
 * start (angle uniform), instead of anywhere in the square [−0.5, 0.5]². The dynamics and reward are
 * `Navigation2D-v0`'s; only the task distribution differs, so it gets its own versioned id.
 *
 * Used from the command line with `--env-module examples/navigation-ring.ts --env NavigationRing-v0`
 * (README, "Your own env"), or from code by importing this file before `train`.
 */
import type { MetaEnv, Rng, StepResult } from 'metarl';
import { Navigation2DEnv, register, type NavigationTask } from 'metarl/envs';

/** Radius of the goal circle. */
export const RING_RADIUS = 0.5;

/** `Navigation2D-v0` with goals at distance {@link RING_RADIUS} from the start. */
export class NavigationRingEnv implements MetaEnv<NavigationTask> {
  readonly id = 'NavigationRing-v0';
  private readonly inner = new Navigation2DEnv();
  readonly observationSpace = this.inner.observationSpace;
  readonly actionSpace = this.inner.actionSpace;
  readonly maxEpisodeSteps = this.inner.maxEpisodeSteps;
  readonly taskDim = this.inner.taskDim;

  /** `n` goals at angles drawn uniformly from [0, 2π). */
  sampleTasks(n: number, rng: Rng): NavigationTask[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`sampleTasks: n must be a non-negative integer, got ${n}`);
    return Array.from({ length: n }, () => {
      const angle = rng.uniformRange(0, 2 * Math.PI);
      return { goal: [RING_RADIUS * Math.cos(angle), RING_RADIUS * Math.sin(angle)] as [number, number] };
    });
  }

  setTask(task: NavigationTask): void {
    this.inner.setTask(task);
  }

  getTask(): NavigationTask {
    return this.inner.getTask();
  }

  taskVector(task: NavigationTask): Float32Array {
    return this.inner.taskVector(task);
  }

  reset(opts?: { seed?: number }): { obs: Float32Array } {
    return this.inner.reset(opts);
  }

  step(action: Float32Array): StepResult {
    return this.inner.step(action);
  }
}

// The registry line: from here on `make('NavigationRing-v0')` and `--env NavigationRing-v0` work.
register({ id: 'NavigationRing-v0', factory: () => new NavigationRingEnv(), description: '2D navigation, goals on the circle of radius 0.5' });
