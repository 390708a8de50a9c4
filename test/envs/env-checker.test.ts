// The env checker (envs/check.ts, Gymnasium's in spirit) on every registered env, its oracle and
// normalised-action views, and an env registered from outside envs/; and Navigation2D's dynamics.
// test/envs/check-env.test.ts shows that the checker finds each kind of fault.
import { describe, expect, it } from 'vitest';
import { checkEnv, listEnvs, make } from '../../envs/index.ts';
import '../../examples/navigation-ring.ts'; // an env registered from outside envs/, checked like the built-in ones
import { TaskObservationWrapper } from '../../envs/oracle.ts';
import { NormalizedActionWrapper } from '../../envs/normalized-actions.ts';
import { envFactory, spacesMismatch } from '../../envs/factory.ts';
import { resolveConfig } from '../../src/config.ts';
import { createRng } from '../../src/rng.ts';
import type { MetaEnv } from '../../src/types.ts';

const ids = listEnvs();
// Every registered env, its oracle view (task appended to the observation) where it has one, and the
// normalised-action view of navigation.
const cases: [string, () => MetaEnv][] = ids.flatMap((id): [string, () => MetaEnv][] => {
  const plain: [string, () => MetaEnv] = [id, () => make(id)];
  return make(id).taskVector ? [plain, [`${id} (oracle view)`, () => new TaskObservationWrapper(make(id))]] : [plain];
});
cases.push(['Navigation2D-v0 (normalised actions)', () => new NormalizedActionWrapper(make('Navigation2D-v0'))]);

it('registry lists the built-in envs and rejects unknown ids with the known ones', () => {
  expect(ids).toContain('Navigation2D-v0');
  expect(() => make('Nope-v0')).toThrow(/Nope-v0.*Navigation2D-v0/);
});

describe.each(cases)('%s', (name, factory) => {
  it('passes the env checker (envs/check.ts): spaces, tasks, seeding, observations, rewards, episode ends', () => {
    expect(checkEnv(factory, { id: name.split(' ')[0]!, tasks: 3 })).toEqual([]);
  });
});

describe('Navigation2D-v0 dynamics (reference.md)', () => {
  it('clips actions, rewards minus the distance, terminates within 0.01 of the goal', () => {
    const env = make('Navigation2D-v0');
    env.setTask({ goal: [0.25, -0.1] });
    expect(Array.from(env.reset().obs)).toEqual([0, 0]);
    const s1 = env.step(Float32Array.of(5, -0.05)); // x clipped to 0.1
    expect(s1.obs[0]).toBeCloseTo(0.1, 6);
    expect(s1.obs[1]).toBeCloseTo(-0.05, 6);
    expect(s1.reward).toBeCloseTo(-Math.hypot(0.1 - 0.25, -0.05 + 0.1), 6);
    expect(s1.terminated).toBe(false);
    env.step(Float32Array.of(0.1, -0.05));
    const s3 = env.step(Float32Array.of(0.05, 0));
    expect(s3.terminated).toBe(true);
    expect(s3.truncated).toBe(false);
    expect(() => env.setTask({ goal: [0, Number.NaN] })).toThrow(/task\.goal/);
  });

  it('normalised actions: [-1, 1] maps onto [-0.1, 0.1], clipped; the oracle view composes with it', () => {
    const env = new NormalizedActionWrapper(make('Navigation2D-v0'));
    expect(Array.from(env.actionSpace.low)).toEqual([-1, -1]);
    expect(Array.from(env.actionSpace.high)).toEqual([1, 1]);
    env.setTask({ goal: [0.3, 0.3] });
    env.reset();
    const s1 = env.step(Float32Array.of(0.5, -3));
    expect(s1.obs[0]).toBeCloseTo(0.05, 6);
    expect(s1.obs[1]).toBeCloseTo(-0.1, 6);
    expect(s1.reward).toBeCloseTo(-Math.hypot(0.05 - 0.3, -0.1 - 0.3), 6);
    expect(() => env.step(Float32Array.of(1))).toThrow(/length 2/);

    const cfg = resolveConfig('Navigation2D-v0', undefined, { algo: 'oracle', policy: { normalizeActions: true } });
    const oracle = envFactory(cfg)();
    expect(oracle.observationSpace.shape).toEqual([4]);
    expect(Array.from(oracle.actionSpace.high)).toEqual([1, 1]);
    oracle.setTask({ goal: [0.3, 0.3] });
    oracle.reset();
    expect(Array.from(oracle.step(Float32Array.of(1, 1)).obs).map((v) => +v.toFixed(6))).toEqual([0.1, 0.1, 0.3, 0.3]);
    expect(() => new NormalizedActionWrapper(make('SineRegression-v0'))).toThrow(/finite bounds/);
  });

  it('samples goals uniformly in [-0.5, 0.5]^2', () => {
    const goals = make('Navigation2D-v0').sampleTasks(2000, createRng(1)).map((t) => t.goal as number[]);
    const xs = goals.flat();
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...xs)).toBeLessThan(0.5);
    expect(Math.abs(xs.reduce((a, b) => a + b) / xs.length)).toBeLessThan(0.02);
  });
});

describe('the oracle view of an env whose taskVector does not fit taskDim', () => {
  it('names taskVector when the task is set (it showed as an observation of the wrong length from reset)', () => {
    const env = make('Navigation2D-v0');
    const wrong = Object.assign(env, { taskVector: () => Float32Array.of(1, 2, 3) });
    const oracle = new TaskObservationWrapper(wrong);
    const [task] = env.sampleTasks(1, createRng(1));
    expect(() => oracle.setTask(task!)).toThrow('Navigation2D-v0: taskVector(task) returned 3 entries, and taskDim is 2: the oracle appends taskDim entries to each observation');
    Object.assign(env, { taskVector: () => Float32Array.of(1, NaN) });
    expect(() => oracle.setTask(task!)).toThrow('Navigation2D-v0: taskVector(task)[1] is NaN, not a finite number');
  });
});

describe('spacesMismatch: a run against the env as registered now', () => {
  it('is null for the sizes the run was made for, and names both sizes otherwise', () => {
    const env = make('Navigation2D-v0');
    expect(spacesMismatch({ obsDim: 2, actDim: 2 }, env)).toBeNull();
    expect(spacesMismatch({ obsDim: 3, actDim: 2 }, env)).toBe('was trained on Navigation2D-v0 with 3 observation and 2 action entries, and Navigation2D-v0 as registered now has 2 and 2: its spaces changed since (a changed env needs a new id version, -vN, and a new run)');
    // The oracle's view is what an oracle run was made for: the task's entries included.
    expect(spacesMismatch({ obsDim: 4, actDim: 2 }, new TaskObservationWrapper(env))).toBeNull();
  });
});
