import type { Box, MetaEnv, StepResult } from '../src/types.ts';
import type { Rng } from '../src/rng.ts';
import { showJson } from '../src/suggest.ts';

/** A 2D-navigation task: the goal position. */
export interface NavigationTask {
  [key: string]: unknown;
  goal: [number, number];
}

const box = (low: number[], high: number[]): Box => ({
  shape: [low.length],
  low: Float32Array.from(low),
  high: Float32Array.from(high),
});

/**
 * 2D navigation to a goal (Finn, Abbeel, Levine 2017, §5.3 "2D Navigation").
 *
 * Observation: the position (2), starting at (0, 0). Action: a velocity clipped to
 * [−0.1, 0.1] per axis; `position += action`. Reward: −‖position − goal‖₂ after the move.
 * Terminated when |dx| < 0.01 and |dy| < 0.01; truncated after 100 steps.
 * Tasks: goal ~ U[−0.5, 0.5]².
 */
export class Navigation2DEnv implements MetaEnv<NavigationTask> {
  /** `Navigation2D-v0`; a variant built on this class registers under its own id and sets it here. */
  readonly id: string = 'Navigation2D-v0';
  readonly observationSpace = box([-Infinity, -Infinity], [Infinity, Infinity]);
  readonly actionSpace = box([-0.1, -0.1], [0.1, 0.1]);
  /** The horizon: 100 steps (`reference.md`); a variant may set another. */
  readonly maxEpisodeSteps: number = 100;
  readonly taskDim = 2;
  private goal: [number, number] = [0, 0];
  private x = 0;
  private y = 0;
  private steps = 0;
  private done = true;

  sampleTasks(n: number, rng: Rng): NavigationTask[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`sampleTasks: n must be a non-negative integer, got ${n}`);
    const tasks: NavigationTask[] = [];
    for (let i = 0; i < n; i++) tasks.push({ goal: [rng.uniformRange(-0.5, 0.5), rng.uniformRange(-0.5, 0.5)] });
    return tasks;
  }

  setTask(task: NavigationTask): void {
    const g = (task as { goal?: unknown })?.goal;
    if (!Array.isArray(g) || g.length !== 2 || !g.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new RangeError(`${this.id}: task.goal must be two finite numbers, got ${showJson(g)}`);
    }
    // The reward is minus the distance to the goal, which must stay a finite number.
    if (!g.every((v) => Math.abs(v) <= 1e100)) throw new RangeError(`${this.id}: task.goal must lie within 1e100 of the origin, where the distance to it is a finite number; got ${showJson(g)}`);
    this.goal = [g[0], g[1]];
  }

  getTask(): NavigationTask {
    return { goal: [this.goal[0], this.goal[1]] };
  }

  taskVector(task: NavigationTask): Float32Array {
    return Float32Array.from(task.goal);
  }

  // The dynamics are deterministic; the seed is accepted for the common contract.
  reset(_opts: { seed?: number } = {}): { obs: Float32Array } {
    this.x = 0;
    this.y = 0;
    this.steps = 0;
    this.done = false;
    return { obs: Float32Array.of(0, 0) };
  }

  step(action: Float32Array): StepResult {
    if (this.done) throw new Error(`${this.id}: step() called after the episode ended; call reset()`);
    if (action.length !== 2) throw new RangeError(`${this.id}: action must have length 2, got ${action.length}`);
    const ax = Math.min(0.1, Math.max(-0.1, action[0]!));
    const ay = Math.min(0.1, Math.max(-0.1, action[1]!));
    if (Number.isNaN(ax) || Number.isNaN(ay)) throw new RangeError(`${this.id}: action is NaN: [${action[0]}, ${action[1]}]`);
    this.x += ax;
    this.y += ay;
    this.steps++;
    const dx = this.x - this.goal[0];
    const dy = this.y - this.goal[1];
    const reward = -Math.sqrt(dx * dx + dy * dy);
    const terminated = Math.abs(dx) < 0.01 && Math.abs(dy) < 0.01;
    const truncated = !terminated && this.steps >= this.maxEpisodeSteps;
    this.done = terminated || truncated;
    return { obs: Float32Array.of(this.x, this.y), reward, terminated, truncated };
  }
}
