/**
 * Batches measured in env steps (`--batch-timesteps`, rllab's vectorized sampler): which episodes
 * are kept (checked against a step-by-step lockstep simulation), and that evaluation with a budget
 * of `episodes × horizon` on episodes that never end early is the fixed-count evaluation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { GaussianMlpPolicy, type ParamValues } from '../../src/policy.ts';
import { episodeReturns, gatherEpisodes, sampleEpisodes, sampleTimestepBudget } from '../../src/sampler.ts';
import { evaluateAdaptation } from '../../src/evaluation.ts';
import { createRng } from '../../src/rng.ts';
import type { Episodes } from '../../src/types.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const policy = new GaussianMlpPolicy(2, 2, { hiddenSizes: [8], activation: 'tanh', initStd: 1 });
const envs = Array.from({ length: 6 }, () => new Navigation2DEnv());
/** Out of reach (at most 0.1 per axis per step): every episode runs the full 100 steps. */
const FAR = { goal: [50, 50] as [number, number] };
/** At the start: a policy whose actions stay inside ±0.01 ends every episode after one step. */
const HERE = { goal: [0, 0] as [number, number] };

/** Parameters with a zero mean network output and the given log σ. */
function zeroMean(logStd: number): ParamValues {
  const p = policy.init(createRng(3));
  return p.map((v, i) => (i === p.length - 1 ? new Float32Array(v.length).fill(logStd) : new Float32Array(v.length)));
}

/** Episode `j` of a batch as plain arrays (its real steps only). */
function episode(ep: Episodes, j: number) {
  const L = ep.lengths[j]!;
  const pick = <T extends Float32Array | Uint8Array>(a: T, dim: number) =>
    Array.from({ length: L }, (_, t) => Array.from(a.subarray((t * ep.B + j) * dim, (t * ep.B + j + 1) * dim)));
  return { L, obs: pick(ep.obs, ep.obsDim), actions: pick(ep.actions, ep.actDim), rewards: pick(ep.rewards, 1), terminated: pick(ep.terminated, 1), truncated: pick(ep.truncated, 1), finalObs: Array.from(ep.finalObs.subarray(j * ep.obsDim, (j + 1) * ep.obsDim)) };
}

describe('sampleTimestepBudget', () => {
  it('stops at the first lockstep step at which the finished episodes reach the budget', () => {
    const params = policy.init(createRng(1));
    const rng = createRng(7).fork('b');
    // 100 steps per episode: at step 100 the 6 slots have finished 600 steps.
    const six = sampleTimestepBudget(envs, policy, { task: FAR, params, slots: 6, minSteps: 250, rng }).episodes;
    expect(six.B).toBe(6);
    expect(six).toEqual(sampleEpisodes(envs, policy, { task: FAR, params, numEpisodes: 6, rng }));
    // 1000 steps: 600 at step 100 are not enough, 1200 at step 200 are.
    const twelve = sampleTimestepBudget(envs, policy, { task: FAR, params, slots: 6, minSteps: 1000, rng }).episodes;
    expect(twelve.B).toBe(12);
    expect(Array.from(twelve.lengths).every((l) => l === 100)).toBe(true);
    expect(sampleTimestepBudget(envs, policy, { task: FAR, params, slots: 6, minSteps: 1000, rng }).firstRound).toEqual(six);
    // One-step episodes: 6 steps finish at step 1, 12 at step 2, which covers 10.
    const short = sampleTimestepBudget(envs, policy, { task: HERE, params: zeroMean(-12), slots: 6, minSteps: 10, rng }).episodes;
    expect(short.B).toBe(12);
    expect(Array.from(short.lengths)).toEqual(new Array(12).fill(1));
    expect(Array.from(short.terminated.subarray(0, 12))).toEqual(new Array(12).fill(1));
  });

  it('keeps exactly the episodes a lockstep simulation finishes, in slot order, and drops the running ones', () => {
    // σ = 0.01 around a zero mean at the start: about half the episodes end after one step, the
    // others wander; lengths vary, so some slots are cut off in the middle of an episode.
    const task = HERE;
    const params = zeroMean(Math.log(0.01));
    const rng = createRng(11).fork('b');
    const minSteps = 300;
    const got = sampleTimestepBudget(envs, policy, { task, params, slots: 6, minSteps, rng }).episodes;
    const rounds = Array.from({ length: 40 }, (_, r) => sampleEpisodes(envs, policy, { task, params, numEpisodes: 6, rng: r === 0 ? rng : rng.fork('round', r) }));
    // Step the 6 slots together, one env step at a time.
    const round = [0, 0, 0, 0, 0, 0];
    const age = [0, 0, 0, 0, 0, 0];
    const done: [number, number][] = [];
    let total = 0;
    while (total < minSteps) {
      for (let b = 0; b < 6; b++) {
        age[b]!++;
        if (age[b] === rounds[round[b]!]!.lengths[b]) {
          total += age[b]!;
          done.push([b, round[b]!]);
          round[b]!++;
          age[b] = 0;
        }
      }
    }
    done.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    expect(got.B).toBe(done.length);
    done.forEach(([b, r], j) => expect(episode(got, j)).toEqual(episode(rounds[r]!, b)));
    for (let j = 0; j < got.B; j++) for (let t = got.lengths[j]!; t < got.T; t++) expect(got.mask[t * got.B + j]).toBe(0);
    // The case is not trivial: lengths vary and some slot was cut off mid-episode.
    expect(new Set(Array.from(got.lengths)).size).toBeGreaterThan(1);
    expect(age.some((a) => a > 0)).toBe(true);
  });

  it('rejects a non-positive budget', () => {
    const params = policy.init(createRng(1));
    expect(() => sampleTimestepBudget(envs, policy, { task: FAR, params, slots: 2, minSteps: 0, rng: createRng(1) }).episodes).toThrow(/minSteps must be a positive integer, got 0/);
  });
});

describe('gatherEpisodes', () => {
  it('picks episodes across batches in order, and rejects an episode out of range and batches of different horizons', () => {
    const params = policy.init(createRng(1));
    const ep = sampleEpisodes(envs, policy, { task: FAR, params, numEpisodes: 2, rng: createRng(1) });
    expect(() => gatherEpisodes([{ from: ep, b: 2 }])).toThrow(/episode 2 of a batch of 2/);
    expect(() => gatherEpisodes([{ from: ep, b: 0 }, { from: { ...ep, T: 50 }, b: 0 }])).toThrow(/differ in T/);
    expect(() => gatherEpisodes([])).toThrow(/no episodes picked/);
    const r = episodeReturns(ep);
    expect(episodeReturns(gatherEpisodes([{ from: ep, b: 1 }, { from: ep, b: 0 }, { from: ep, b: 1 }]))).toEqual(Float64Array.from([r[1]!, r[0]!, r[1]!]));
  });
});

describe('evaluateAdaptation with batchTimesteps', () => {
  const base = () => ({
    tasks: [FAR, { goal: [-40, 30] as [number, number] }],
    steps: 2,
    episodes: 5,
    fastLr: 0.1,
    advantages: { gamma: 0.99, gaeLambda: 1, normalize: true, regCoeff: 1e-5 },
    rng: createRng(5).fork('evaluate'),
  });
  const make = () => new Navigation2DEnv();

  it('is the fixed-count evaluation when every episode runs the horizon and the budget is episodes × horizon', () => {
    const params = policy.init(createRng(4));
    const fixed = evaluateAdaptation(policy, params, make, base());
    const budget = evaluateAdaptation(policy, params, make, { ...base(), batchTimesteps: 500 });
    expect(budget.map(({ step, mean, sem, perTask }) => ({ step, mean, sem, perTask }))).toEqual(fixed);
    // Every slot ran one full episode: the first episodes are the whole batch.
    for (const s of budget) {
      expect(s.episodes).toBe(5);
      expect(s.firstEpisodes).toEqual({ mean: s.mean, sem: s.sem, perTask: s.perTask });
    }
    // A larger budget samples more episodes (10 per step: 500 steps finish at step 100, 1000 at 200), so the returns change.
    const more = evaluateAdaptation(policy, params, make, { ...base(), batchTimesteps: 800 });
    expect(more[0]!.perTask).not.toEqual(fixed[0]!.perTask);
    expect(more.map((s) => s.episodes)).toEqual([10, 10, 10]);
    // The first episode of each slot is the fixed-count batch: the same at step 0, where the policy is the same.
    expect(more[0]!.firstEpisodes!.perTask).toEqual(fixed[0]!.perTask);
    expect(more[1]!.firstEpisodes!.perTask).not.toEqual(fixed[1]!.perTask);
  });

  it('averages the return over every episode the budget took', () => {
    // One-step episodes at the start: 5 slots finish 5, 10, 15 steps at lockstep steps 1, 2, 3, so
    // a budget of 12 steps takes 15 episodes.
    const params = zeroMean(-12);
    const stats = evaluateAdaptation(policy, params, make, { ...base(), tasks: [HERE], steps: 0, batchTimesteps: 12 });
    const rng = base().rng.fork('episodes', 0, 0);
    const ep = sampleTimestepBudget(Array.from({ length: 5 }, make), policy, { task: HERE, params, slots: 5, minSteps: 12, rng }).episodes;
    expect(ep.B).toBe(15);
    const mean = episodeReturns(ep).reduce((a, b) => a + b, 0) / 15;
    expect(stats[0]!.perTask[0]).toBeCloseTo(mean, 12);
  });
});
