/**
 * Batches measured in env steps (`--batch-timesteps`, rllab's `batch_size`): which episodes are
 * kept, that the merged batch holds exactly the sampled episodes, and that evaluation with a budget
 * of `episodes × horizon` on episodes that never end early is the fixed-count evaluation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { GaussianMlpPolicy, type ParamValues } from '../../src/policy.ts';
import { concatEpisodes, episodeReturns, sampleEpisodes, sampleTimestepBudget } from '../../src/sampler.ts';
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
  it('keeps the shortest prefix of whole episodes reaching the budget', () => {
    const params = policy.init(createRng(1));
    const rng = createRng(7).fork('b');
    // 100 steps per episode: 250 steps need 3 episodes, 1000 need 10 (two rounds of 6).
    expect(sampleTimestepBudget(envs, policy, { task: FAR, params, chunk: 6, minSteps: 250, rng }).B).toBe(3);
    const ten = sampleTimestepBudget(envs, policy, { task: FAR, params, chunk: 6, minSteps: 1000, rng });
    expect(ten.B).toBe(10);
    expect(Array.from(ten.lengths).every((l) => l === 100)).toBe(true);
    // One-step episodes: 10 steps take 10 episodes over two rounds of 6.
    const short = sampleTimestepBudget(envs, policy, { task: HERE, params: zeroMean(-12), chunk: 6, minSteps: 10, rng });
    expect(short.B).toBe(10);
    expect(Array.from(short.lengths)).toEqual(new Array(10).fill(1));
    expect(Array.from(short.terminated.subarray(0, 10))).toEqual(new Array(10).fill(1));
  });

  it('holds exactly the episodes of its rounds, in order', () => {
    // σ = 0.01 around a zero mean at the start: about half the episodes end after one step, the
    // others wander; lengths vary, so the cut falls inside a round.
    const task = HERE;
    const params = zeroMean(Math.log(0.01));
    const rng = createRng(11).fork('b');
    const got = sampleTimestepBudget(envs, policy, { task, params, chunk: 6, minSteps: 300, rng });
    const rounds = Array.from({ length: 20 }, (_, r) => r).map((r) => sampleEpisodes(envs, policy, { task, params, numEpisodes: 6, rng: r === 0 ? rng : rng.fork('round', r) }));
    const all = rounds.flatMap((ep) => Array.from({ length: ep.B }, (_, j) => episode(ep, j)));
    let total = 0;
    let n = 0;
    while (total < 300) total += all[n++]!.L;
    expect(got.B).toBe(n);
    for (let j = 0; j < n; j++) expect(episode(got, j)).toEqual(all[j]);
    // Padding after each episode's end stays empty.
    for (let j = 0; j < n; j++) for (let t = got.lengths[j]!; t < got.T; t++) expect(got.mask[t * got.B + j]).toBe(0);
    expect(new Set(all.slice(0, n).map((e) => e.L)).size).toBeGreaterThan(1);
    expect(n % 6).not.toBe(0);
  });

  it('rejects a non-positive budget', () => {
    const params = policy.init(createRng(1));
    expect(() => sampleTimestepBudget(envs, policy, { task: FAR, params, chunk: 2, minSteps: 0, rng: createRng(1) })).toThrow(/minSteps must be a positive integer, got 0/);
  });
});

describe('concatEpisodes', () => {
  it('rejects a keep outside 1…total and batches of different horizons', () => {
    const params = policy.init(createRng(1));
    const ep = sampleEpisodes(envs, policy, { task: FAR, params, numEpisodes: 2, rng: createRng(1) });
    expect(() => concatEpisodes([ep], 3)).toThrow(/keep must be in 1…2, got 3/);
    expect(() => concatEpisodes([ep, { ...ep, T: 50 }], 3)).toThrow(/differ in T/);
    expect(episodeReturns(concatEpisodes([ep, ep], 3))).toEqual(Float64Array.from([...episodeReturns(ep), episodeReturns(ep)[0]!]));
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
    expect(budget).toEqual(fixed);
    // A larger budget samples more episodes, so the returns change.
    const more = evaluateAdaptation(policy, params, make, { ...base(), batchTimesteps: 800 });
    expect(more[0]!.perTask).not.toEqual(fixed[0]!.perTask);
  });

  it('averages the return over every episode the budget took', () => {
    // One-step episodes at the start: each scores −‖a‖, and the budget of 12 steps takes 12 episodes.
    const params = zeroMean(-12);
    const stats = evaluateAdaptation(policy, params, make, { ...base(), tasks: [HERE], steps: 0, batchTimesteps: 12 });
    const rng = base().rng.fork('episodes', 0, 0);
    const ep = sampleTimestepBudget(Array.from({ length: 5 }, make), policy, { task: HERE, params, chunk: 5, minSteps: 12, rng });
    expect(ep.B).toBe(12);
    const mean = episodeReturns(ep).reduce((a, b) => a + b, 0) / 12;
    expect(stats[0]!.perTask[0]).toBeCloseTo(mean, 12);
  });
});
