// One checker for every registered env (Gymnasium's env checker in spirit): seeded determinism,
// observations inside their space, truncation exactly at maxEpisodeSteps, reproducible JSON tasks.
import { describe, expect, it } from 'vitest';
import { listEnvs, make } from '../../envs/index.ts';
import '../../examples/navigation-ring.ts'; // an env registered from outside envs/, checked like the built-in ones
import { TaskObservationWrapper } from '../../envs/oracle.ts';
import { NormalizedActionWrapper } from '../../envs/normalized-actions.ts';
import { envFactory } from '../../envs/factory.ts';
import { resolveConfig } from '../../src/config.ts';
import { createRng, type Rng } from '../../src/rng.ts';
import type { MetaEnv } from '../../src/types.ts';

function randomAction(env: MetaEnv, rng: Rng): Float32Array {
  const { low, high } = env.actionSpace;
  return Float32Array.from(low, (l, i) => {
    const h = high[i]!;
    return Number.isFinite(l) && Number.isFinite(h) ? rng.uniformRange(l, h) : rng.normal();
  });
}

/** Runs one episode; returns observations and rewards, and how it ended. */
function rollout(env: MetaEnv, seed: number, actionRng: Rng, act?: (t: number) => Float32Array) {
  const obs: number[][] = [Array.from(env.reset({ seed }).obs)];
  const rewards: number[] = [];
  for (let t = 0; ; t++) {
    const r = env.step(act ? act(t) : randomAction(env, actionRng));
    obs.push(Array.from(r.obs));
    rewards.push(r.reward);
    expect(r.terminated && r.truncated).toBe(false);
    if (r.terminated || r.truncated) return { obs, rewards, steps: t + 1, terminated: r.terminated, truncated: r.truncated };
  }
}

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
  const id = name.split(' ')[0]!;
  const env = factory();
  const tasks = env.sampleTasks(3, createRng(7).fork('tasks'));

  it('spaces are well formed', () => {
    expect(env.id).toBe(id);
    expect(name.startsWith(id)).toBe(true);
    for (const s of [env.observationSpace, env.actionSpace]) {
      expect(s.low.length).toBe(s.shape[0]);
      expect(s.high.length).toBe(s.shape[0]);
      for (let i = 0; i < s.low.length; i++) expect(s.low[i]!).toBeLessThanOrEqual(s.high[i]!);
    }
    expect(Number.isInteger(env.maxEpisodeSteps) && env.maxEpisodeSteps > 0).toBe(true);
  });

  it('task sampling is reproducible and tasks are plain JSON that round-trip', () => {
    expect(env.sampleTasks(3, createRng(7).fork('tasks'))).toEqual(tasks);
    // 20 draws: tasks from a small discrete set (a direction ±1) may coincide for 3.
    expect(env.sampleTasks(20, createRng(8).fork('tasks'))).not.toEqual(env.sampleTasks(20, createRng(7).fork('tasks')));
    for (const t of tasks) {
      const copy = JSON.parse(JSON.stringify(t));
      env.setTask(copy);
      expect(env.getTask()).toEqual(t);
    }
  });

  it('same seed, task and actions give identical trajectories, also with another env stepped in between', () => {
    const a = factory();
    const b = factory();
    const other = factory();
    a.setTask(tasks[0]!);
    b.setTask(tasks[0]!);
    other.setTask(tasks[1]!);
    const ra = rollout(a, 123, createRng(1).fork('act'));
    other.reset({ seed: 9 });
    for (let i = 0; i < 5; i++) {
      const r = other.step(randomAction(other, createRng(2).fork(i)));
      if (r.terminated || r.truncated) other.reset();
    }
    const rb = rollout(b, 123, createRng(1).fork('act'));
    expect(rb.obs).toEqual(ra.obs);
    expect(rb.rewards).toEqual(ra.rewards);
  });

  it('observations stay inside the observation space and rewards are finite', () => {
    for (const [k, task] of tasks.entries()) {
      env.setTask(task);
      const r = rollout(env, k, createRng(3).fork(k));
      const { low, high } = env.observationSpace;
      for (const o of r.obs) {
        expect(o.length).toBe(low.length);
        o.forEach((x, i) => {
          expect(Number.isFinite(x)).toBe(true);
          expect(x).toBeGreaterThanOrEqual(low[i]!);
          expect(x).toBeLessThanOrEqual(high[i]!);
        });
      }
      for (const x of r.rewards) expect(Number.isFinite(x)).toBe(true);
    }
  });

  it('truncates exactly at maxEpisodeSteps and refuses to step past the end', () => {
    env.setTask(tasks[0]!);
    const zero = new Float32Array(env.actionSpace.shape[0]);
    const r = rollout(env, 0, createRng(4), () => zero);
    if (!r.terminated) {
      expect(r.steps).toBe(env.maxEpisodeSteps);
      expect(r.truncated).toBe(true);
    } else {
      expect(r.steps).toBeLessThanOrEqual(env.maxEpisodeSteps);
    }
    expect(() => env.step(zero)).toThrow();
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
