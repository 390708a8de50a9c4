/**
 * The env checker (envs/check.ts) finds each kind of fault it claims to: every env below is
 * Navigation2D with one thing broken, and the checker's report names it (and a sound env has none).
 */
import { describe, expect, it } from 'vitest';
import { checkEnv, make, register } from '../../envs/index.ts';
import { EnvContractError } from '../../src/env-contract.ts';
import { Navigation2DEnv, type NavigationTask } from '../../envs/navigation-2d.ts';
import type { Rng } from '../../src/rng.ts';
import type { Box, StepResult } from '../../src/types.ts';

const box = (low: number[], high: number[]): Box => ({ shape: [low.length], low: Float32Array.from(low), high: Float32Array.from(high) });

/** Navigation2D under the id `Check-v0`, the id the checks below expect. */
class Sound extends Navigation2DEnv {
  override readonly id: string = 'Check-v0';
}

let shared = 0; // state outside the instance, for the seeding fault
let unseeded = 0.123; // an rng the env does not get from its caller

const faults: [string, () => Navigation2DEnv, string][] = [
  ['an id other than the registered one', () => new Navigation2DEnv(), 'id is "Navigation2D-v0", but the env is registered as "Check-v0"'],
  ['a space with low > high', () => Object.assign(new Sound(), { actionSpace: box([0.1, -0.1], [-0.1, 0.1]) }), 'actionSpace: low[0] = 0.10000000149011612 is not ≤ high[0]'],
  [
    'tasks not drawn from the rng given',
    () =>
      new (class extends Sound {
        override sampleTasks(n: number): NavigationTask[] {
          return Array.from({ length: n }, () => ({ goal: [(unseeded = (unseeded * 9301 + 0.49297) % 1) - 0.5, 0] as [number, number] }));
        }
      })(),
    'sampleTasks is not reproducible',
  ],
  [
    'getTask that loses a field',
    () =>
      new (class extends Sound {
        override sampleTasks(n: number, rng: Rng): NavigationTask[] {
          return super.sampleTasks(n, rng).map((t) => ({ ...t, speed: 1 }));
        }
      })(),
    'task 1 does not round-trip through JSON, setTask and getTask',
  ],
  [
    'setTask taking a task with its field left out',
    () =>
      new (class extends Sound {
        override setTask(task: NavigationTask): void {
          if (task.goal !== undefined) super.setTask(task);
        }
      })(),
    'setTask took task 1 without its field "goal" ({}); it should throw, naming the field',
  ],
  ['reset returning the observation itself', () => Object.assign(new Sound(), { reset: () => new Float32Array(2) }), 'reset() must return { obs }, got a Float32Array'],
  ['a taskVector of the wrong length', () => Object.assign(new Sound(), { taskDim: 3 }), 'taskVector(task 1) must have taskDim (3) finite entries, got 2 entries: ['],
  // NaN shown as NaN, not JSON's null (found by an API trial).
  ['a taskVector holding NaN', () => Object.assign(new Sound(), { taskVector: () => Float32Array.of(Number.NaN, 1) }), 'taskVector(task 1) must have taskDim (2) finite entries, got [NaN, 1]'],
  [
    'state shared between instances',
    () =>
      new (class extends Sound {
        override step(action: Float32Array): StepResult {
          const r = super.step(action);
          return { ...r, reward: r.reward + 1e-3 * shared++ };
        }
      })(),
    'the same reset seed, task and actions gave another trajectory',
  ],
  [
    'an observation of the wrong length',
    () =>
      new (class extends Sound {
        override step(action: Float32Array): StepResult {
          return { ...super.step(action), obs: new Float32Array(3) };
        }
      })(),
    'step() at t = 0: observation of length 3, observationSpace.shape is [2]',
  ],
  ['an observation outside its space', () => Object.assign(new Sound(), { observationSpace: box([0.5, 0.5], [1, 1]) }), 'reset: observation[0] = 0 is outside [0.5, 1]'],
  [
    'a NaN reward',
    () =>
      new (class extends Sound {
        override step(action: Float32Array): StepResult {
          return { ...super.step(action), reward: Number.NaN };
        }
      })(),
    'step() at t = 0: reward NaN is not a finite number',
  ],
  [
    'a reward that is a string',
    () =>
      new (class extends Sound {
        override step(action: Float32Array): StepResult {
          return { ...super.step(action), reward: '-1' as unknown as number };
        }
      })(),
    'step() at t = 0: reward "-1" is a string, not a number',
  ],
  [
    'no time limit',
    () =>
      new (class extends Sound {
        private pos = new Float32Array(2);
        override reset() {
          this.pos = new Float32Array(2);
          return { obs: this.pos.slice() };
        }
        override step(action: Float32Array): StepResult {
          this.pos[0] = this.pos[0]! + 1e-4 * action[0]!;
          return { obs: this.pos.slice(), reward: -1, terminated: false, truncated: false };
        }
      })(),
    'an episode ran past maxEpisodeSteps (100) without being truncated',
  ],
  [
    'terminated and truncated together',
    () =>
      new (class extends Sound {
        override step(action: Float32Array): StepResult {
          const r = super.step(action);
          return r.truncated ? { ...r, terminated: true } : r;
        }
      })(),
    'terminated and truncated are both set',
  ],
  [
    'truncation before the time limit',
    () =>
      new (class extends Sound {
        private t = 0;
        override reset(opts?: { seed?: number }) {
          this.t = 0;
          return super.reset(opts);
        }
        override step(action: Float32Array): StepResult {
          const r = super.step(action);
          return ++this.t === 50 && !r.terminated ? { ...r, truncated: true } : r;
        }
      })(),
    'an episode was truncated after 50 steps, not at maxEpisodeSteps (100)',
  ],
  [
    'an episode that ends after the time limit',
    () =>
      new (class extends Sound {
        private t = 0;
        override reset() {
          this.t = 0;
          return { obs: new Float32Array(2) };
        }
        override step(action: Float32Array): StepResult {
          if (this.t > 100) throw new Error('episode over');
          return { obs: Float32Array.of(1e-4 * action[0]!, 0), reward: -1, terminated: ++this.t === 101, truncated: false };
        }
      })(),
    'an episode ended after 101 steps, past maxEpisodeSteps (100)',
  ],
  [
    'stepping past the end',
    () =>
      new (class extends Sound {
        private over = false;
        override reset(opts?: { seed?: number }) {
          this.over = false;
          return super.reset(opts);
        }
        override step(action: Float32Array): StepResult {
          if (this.over) return { obs: new Float32Array(2), reward: 0, terminated: false, truncated: true };
          const r = super.step(action);
          this.over = r.terminated || r.truncated;
          return r;
        }
      })(),
    'step after the end of an episode did not throw',
  ],
  [
    'a setTask that changes nothing',
    () =>
      new (class extends Sound {
        private task: NavigationTask = { goal: [0, 0] };
        override setTask(task: NavigationTask): void {
          this.task = task;
          super.setTask({ goal: [0.2, 0.2] });
        }
        override getTask(): NavigationTask {
          return this.task;
        }
      })(),
    'tasks 1 and 2 differ but gave the same observations and rewards from the same reset seed and actions',
  ],
  [
    'one task only',
    () =>
      new (class extends Sound {
        override sampleTasks(n: number): NavigationTask[] {
          return Array.from({ length: n }, () => ({ goal: [0.1, 0.1] as [number, number] }));
        }
      })(),
    'sampleTasks gave 20 identical tasks',
  ],
  [
    'a factory that throws',
    () => {
      throw new Error('no such asset');
    },
    'the factory threw: no such asset',
  ],
];

describe('checkEnv', () => {
  it('finds nothing wrong with a sound env, also when getTask gives the keys in another order', () => {
    expect(checkEnv(() => new Sound(), { id: 'Check-v0' })).toEqual([]);
    // A misspelt option was ignored (found by an API trial).
    expect(() => checkEnv(() => new Sound(), { task: 5 } as never)).toThrow('task: is not an option of checkEnv (did you mean tasks?); its options: id, tasks (got 5)');
    const reordered = () =>
      new (class extends Sound {
        override sampleTasks(n: number, rng: Rng): NavigationTask[] {
          return super.sampleTasks(n, rng).map((t) => ({ ...t, speed: 1 }));
        }
        private speed = 1;
        override setTask(task: NavigationTask): void {
          if (typeof task.speed !== 'number') throw new RangeError(`task.speed must be a number, got ${String(task.speed)}`);
          super.setTask(task);
          this.speed = task.speed;
        }
        override getTask(): NavigationTask {
          return { speed: this.speed, ...super.getTask() };
        }
      })();
    expect(checkEnv(reordered, { id: 'Check-v0' })).toEqual([]);
  });

  it('says a fault repeated over episodes once, with its count, and nothing that only follows from it', () => {
    const endless = () =>
      new (class extends Sound {
        override reset() {
          return { obs: new Float32Array(2) };
        }
        override step(): StepResult {
          return { obs: new Float32Array(2), reward: -1, terminated: false, truncated: false };
        }
      })();
    expect(checkEnv(endless, { id: 'Check-v0' })).toEqual([
      'an episode ran past maxEpisodeSteps (100) without being truncated (5 times)',
      // True of this env too: its steps ignore the task.
      'tasks 1 and 2 differ but gave the same observations and rewards from the same reset seed and actions: setTask seems to have no effect',
    ]);
  });

  it('says a fault of every task once, naming the tasks', () => {
    const wide = () =>
      new (class extends Sound {
        override step(action: Float32Array): StepResult {
          return { ...super.step(action), obs: new Float32Array(3) };
        }
      })();
    expect(checkEnv(wide, { id: 'Check-v0', tasks: 3 })).toEqual(['tasks 1, 2, 3, step() at t = 0: observation of length 3, observationSpace.shape is [2]']);
  });

  it('lists what make(id) refuses (a missing method, a malformed space) as problems, and refuses an env given instead of a factory', () => {
    const broken = () => Object.assign(new Sound(), { id: 'CheckBroken-v0', sampleTasks: undefined, observationSpace: undefined }) as unknown as Navigation2DEnv;
    register({ id: 'CheckBroken-v0', factory: broken, description: 'a broken env' });
    expect(checkEnv(() => make('CheckBroken-v0'), { id: 'CheckBroken-v0' })).toEqual([
      'sampleTasks() is missing (a MetaEnv has reset, step, sampleTasks, setTask and getTask)',
      'observationSpace is missing (a Box: { shape: [n], low, high })',
    ]);
    expect(() => make('CheckBroken-v0')).toThrow(EnvContractError);
    // A factory that returns nothing: that alone, not also a wrong id.
    register({ id: 'CheckNothing-v0', factory: () => undefined as unknown as Navigation2DEnv, description: 'returns nothing' });
    expect(checkEnv(() => make('CheckNothing-v0'), { id: 'CheckNothing-v0' })).toEqual(['its factory returned undefined, not an env']);
    expect(() => checkEnv(new Sound() as unknown as () => Navigation2DEnv)).toThrow('make: must be a function returning a new env, e.g. () => make(id) (got "object")');
  });

  it.each(faults)('reports %s', (_, make, problem) => {
    const problems = checkEnv(make, { id: 'Check-v0' });
    expect(problems.join('\n')).toContain(problem);
  });
});
