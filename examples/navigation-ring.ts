/**
 * An env variant in one file: 2D navigation whose goals lie on a circle of radius 0.5 around the
 * start (angle uniform), instead of anywhere in the square [−0.5, 0.5]². The dynamics and reward are
 * `Navigation2D-v0`'s; only the task distribution differs, so it gets its own versioned id.
 *
 * Used from the command line with `--env-module examples/navigation-ring.ts --env NavigationRing-v0`
 * (README, "Your own env"), or from code by importing this file before `train`.
 */
import type { Rng } from 'metarl';
import { Navigation2DEnv, register, type NavigationTask } from 'metarl/envs';

/** Radius of the goal circle. */
export const RING_RADIUS = 0.5;

/**
 * `Navigation2D-v0` with goals at distance {@link RING_RADIUS} from the start: the dynamics, reward,
 * task checks and messages are the base class's (its messages name the env by `id`).
 */
export class NavigationRingEnv extends Navigation2DEnv {
  override readonly id: string = 'NavigationRing-v0';

  /** `n` goals at angles drawn uniformly from [0, 2π). */
  override sampleTasks(n: number, rng: Rng): NavigationTask[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`sampleTasks: n must be a non-negative integer, got ${n}`);
    return Array.from({ length: n }, () => {
      const angle = rng.uniformRange(0, 2 * Math.PI);
      return { goal: [RING_RADIUS * Math.cos(angle), RING_RADIUS * Math.sin(angle)] as [number, number] };
    });
  }
}

// The registry line: from here on `make('NavigationRing-v0')` and `--env NavigationRing-v0` work.
register({ id: 'NavigationRing-v0', factory: () => new NavigationRingEnv(), description: '2D navigation, goals on the circle of radius 0.5' });
