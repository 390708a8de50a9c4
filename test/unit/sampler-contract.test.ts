/**
 * The sampler refuses an env whose observations do not have the length the policy takes (as an env
 * of one's own whose `reset` or `step` disagrees with its `observationSpace`), naming the env, the
 * call and both lengths, instead of feeding the policy shifted or truncated inputs. And the
 * evaluation says which task and step an env failed on.
 */
import { describe, expect, it } from 'vitest';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { GaussianMlpPolicy } from '../../src/policy.ts';
import { sampleEpisodes } from '../../src/sampler.ts';
import { evaluateAdaptation } from '../../src/evaluation.ts';
import { createRng } from '../../src/rng.ts';
import type { StepResult } from '../../src/types.ts';
import { EnvContractError, drawTasks, jsonDataProblem } from '../../src/env-contract.ts';

/** Navigation2D whose `reset` (or, from its third step on, `step`) returns `length` entries. */
class WrongObs extends Navigation2DEnv {
  private t = 0;
  constructor(
    private readonly where: 'reset' | 'step',
    private readonly length: number,
  ) {
    super();
  }

  override reset(opts?: { seed?: number }): { obs: Float32Array } {
    this.t = 0;
    const r = super.reset(opts);
    return this.where === 'reset' ? { obs: new Float32Array(this.length) } : r;
  }

  override step(action: Float32Array): StepResult {
    const r = super.step(action);
    return this.where === 'step' && ++this.t >= 3 ? { ...r, obs: new Float32Array(this.length) } : r;
  }
}

const policy = new GaussianMlpPolicy(2, 2, { hiddenSizes: [8], activation: 'tanh', initStd: 1 });
const sample = (envs: Navigation2DEnv[]) =>
  sampleEpisodes(envs, policy, { task: { goal: [0.3, 0.3] }, params: policy.init(createRng(1)), numEpisodes: envs.length, rng: createRng(2) });

describe('sampleEpisodes and observation lengths', () => {
  it('a reset observation that is too short or too long names the env, the call and both lengths', () => {
    expect(() => sample([new WrongObs('reset', 1), new WrongObs('reset', 1)])).toThrow(
      'Navigation2D-v0: reset() returned an observation of length 1, but the policy takes 2 inputs (observationSpace.shape is [2])',
    );
    expect(() => sample([new WrongObs('reset', 3)])).toThrow('reset() returned an observation of length 3');
  });

  it('reset or step returning the observation itself instead of { obs } is named as such', () => {
    const bare = Object.assign(new Navigation2DEnv(), { reset: () => new Float32Array(2) });
    expect(() => sample([bare])).toThrow('Navigation2D-v0: reset() must return { obs }, got a Float32Array');
    const bareStep = Object.assign(new Navigation2DEnv(), { step: () => ({ observation: new Float32Array(2), reward: 0 }) });
    expect(() => sample([bareStep])).toThrow('Navigation2D-v0: step() at t = 0 must return { obs, reward, terminated, truncated }, got an object without obs (keys: observation, reward)');
  });

  it('so does a step observation; a correct env samples its full episodes', () => {
    expect(() => sample([new Navigation2DEnv(), new WrongObs('step', 3)])).toThrow('Navigation2D-v0: step() at t = 2 returned an observation of length 3');
    const ep = sample([new Navigation2DEnv(), new Navigation2DEnv()]);
    expect(ep.lengths).toEqual(Int32Array.of(100, 100));
  });
});

describe('sampleEpisodes and values that are not finite', () => {
  /** Navigation2D whose fourth step returns `bad` as its reward, terminated or truncated flag, or in its observation. */
  class NotFinite extends Navigation2DEnv {
    private t = 0;
    constructor(private readonly what: 'reward' | 'obs' | 'terminated' | 'truncated', private readonly bad: unknown) {
      super();
    }
    override reset(opts?: { seed?: number }): { obs: Float32Array } {
      this.t = 0;
      return super.reset(opts);
    }
    override step(action: Float32Array): StepResult {
      const r = super.step(action);
      if (++this.t !== 4) return r;
      return this.what === 'obs' ? { ...r, obs: Float32Array.of(r.obs[0]!, this.bad as number) } : ({ ...r, [this.what]: this.bad } as StepResult);
    }
  }

  it('a NaN or infinite reward or observation, or flags that are not booleans, are an EnvContractError naming the env, the step and the value', () => {
    const cases: [NotFinite, string][] = [
      [new NotFinite('reward', NaN), 'Navigation2D-v0: step() at t = 3 returned the reward NaN, not a finite number'],
      [new NotFinite('reward', -Infinity), 'Navigation2D-v0: step() at t = 3 returned the reward -Infinity, not a finite number'],
      [new NotFinite('obs', NaN), 'Navigation2D-v0: step() at t = 3 returned an observation whose entry 1 is NaN, not a finite number'],
      [new NotFinite('obs', Infinity), 'Navigation2D-v0: step() at t = 3 returned an observation whose entry 1 is Infinity, not a finite number'],
      // Not numbers or booleans (found by an API trial: the string "false" ended every episode after one step, with no word).
      [new NotFinite('reward', '-0.5'), 'Navigation2D-v0: step() at t = 3 returned the reward as a string ("-0.5"), not a finite number'],
      [new NotFinite('terminated', 'false'), 'Navigation2D-v0: step() at t = 3 returned terminated a string ("false") and truncated a boolean (false); both must be booleans'],
      [new NotFinite('terminated', 0), 'Navigation2D-v0: step() at t = 3 returned terminated a number (0) and truncated a boolean (false); both must be booleans'],
      [new NotFinite('truncated', undefined), 'Navigation2D-v0: step() at t = 3 returned terminated a boolean (false) and truncated undefined; both must be booleans'],
    ];
    for (const [env, message] of cases) {
      let error: unknown;
      try {
        sample([new Navigation2DEnv(), env]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EnvContractError);
      expect((error as Error).message).toBe(message);
    }
  });
});

describe('sampleEpisodes: a reset observation that is not finite, and a policy that is not', () => {
  it('blames the env for its reset observation, and the policy (a RangeError, not an EnvContractError) for its action', () => {
    class NanReset extends Navigation2DEnv {
      override reset(opts?: { seed?: number }): { obs: Float32Array } {
        super.reset(opts);
        return { obs: Float32Array.of(0, NaN) };
      }
    }
    expect(() => sample([new NanReset()])).toThrow(EnvContractError);
    expect(() => sample([new NanReset()])).toThrow('Navigation2D-v0: reset() returned an observation whose entry 1 is NaN, not a finite number');
    const params = policy.init(createRng(1));
    params[0]![0] = NaN;
    let error: unknown;
    try {
      sampleEpisodes([new Navigation2DEnv()], policy, { task: { goal: [0.3, 0.3] }, params, numEpisodes: 1, rng: createRng(2) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect(error).not.toBeInstanceOf(EnvContractError);
    expect((error as Error).message).toMatch(/^sampleEpisodes: the policy's action \d is NaN at t = \d+ /);
  });
});

describe('evaluateAdaptation and a failing env', () => {
  it('names the task and the step, and keeps the env\'s error as the cause', () => {
    class Picky extends Navigation2DEnv {
      override setTask(task: { goal: [number, number] }): void {
        if (task.goal[0] > 0.4) throw new RangeError('goal too far east');
        super.setTask(task);
      }
    }
    const tasks = [{ goal: [0.1, 0.1] as [number, number] }, { goal: [0.45, 0] as [number, number] }];
    let error: Error | undefined;
    try {
      evaluateAdaptation(policy, policy.init(createRng(1)), () => new Picky(), {
        tasks, steps: 0, episodes: 2, fastLr: 0.1, advantages: { gamma: 0.99, gaeLambda: 1, normalize: true, regCoeff: 1e-5 }, rng: createRng(4),
      });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toBe('evaluation: task 2 of 2 {"goal":[0.45,0]} failed at step 0: goal too far east');
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(RangeError);
  });
});

describe('tasks as sampleTasks gives them', () => {
  class Velocity {
    constructor(readonly v: number) {}
  }
  const cyclic: Record<string, unknown> = { v: 1 };
  cyclic.self = cyclic;
  const cases: [string, unknown, string][] = [
    ['an object instead of an array', { goal: [0, 0] }, 'sampleTasks(3, rng) returned an object, not an array of 3 tasks'],
    ['one task short', [{ v: 1 }, { v: 2 }], 'sampleTasks(3, rng) returned 2 tasks, not 3'],
    ['numbers instead of tasks', [0.5, 0.1, 0.2], 'sampleTasks(3, rng): task 1 of 3 is a number (0.5), not a task object such as { goal: [x, y] } (and 2 more of the 3 tasks)'],
    ['a class instance', [{ v: 1 }, new Velocity(2), { v: 3 }], 'sampleTasks(3, rng): task 2 of 3: task is an instance of Velocity, which loses its class (and methods) as JSON: use a plain object'],
    ['a typed array', [{ goal: Float32Array.of(1, 2) }, { v: 2 }, { v: 3 }], 'sampleTasks(3, rng): task 1 of 3: task.goal is a Float32Array, which JSON writes as an object of indices: use a plain array (Array.from)'],
    ['a NaN', [{ v: 1 }, { v: 2 }, { v: [0, NaN] }], 'sampleTasks(3, rng): task 3 of 3: task.v[1] is NaN, not a finite number (JSON has no NaN)'],
    ['a BigInt', [{ id: 10n }, { v: 2 }, { v: 3 }], 'sampleTasks(3, rng): task 1 of 3: task.id is a BigInt, not JSON data'],
    ['a cycle', [cyclic, { v: 2 }, { v: 3 }], 'sampleTasks(3, rng): task 1 of 3: task.self refers back to an enclosing object (a cycle), which JSON cannot hold'],
  ];
  it.each(cases)('%s is an EnvContractError naming the env and the task (they reach workers and logs as JSON)', (_, tasks, message) => {
    const env = { id: 'Mine-v0', sampleTasks: () => tasks as never[] };
    const e = (() => {
      try {
        drawTasks(env, 3, createRng(1));
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(EnvContractError);
    expect((e as Error).message).toBe(`Mine-v0: ${message}`);
  });

  it('plain JSON tasks pass, shared (not cyclic) sub-objects included; heldOutTasks is used when asked for', () => {
    const shared = { x: 1 };
    const env = { id: 'Mine-v0', sampleTasks: (): object[] => [{ a: shared, b: shared, s: 'x', n: null, ok: true }], heldOutTasks: (): object[] => [{ held: 1 }] };
    expect(drawTasks(env, 1, createRng(1))).toEqual([{ a: shared, b: shared, s: 'x', n: null, ok: true }]);
    expect(drawTasks(env, 1, createRng(1), true)).toEqual([{ held: 1 }]);
    expect(jsonDataProblem(Object.create(null), 'task')).toBeNull();
  });
});
