/**
 * The lower-level functions a user calls from code refuse wrong input where it is given, naming the
 * argument (and the tensor) and the value, instead of failing later in tfjs or in the env with a
 * message that names neither, or going on silently with parameters read in the wrong shapes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { ConfigError, resolveConfig, validateConfig } from '../../src/config.ts';
import { GaussianMlpPolicy, type ParamValues } from '../../src/policy.ts';
import { sampleEpisodes } from '../../src/sampler.ts';
import { evaluateAdaptation } from '../../src/evaluation.ts';
import { estimateAdvantages } from '../../src/advantages.ts';
import { adaptValues, pgData, TaskObjective, toTensors, validTensors } from '../../src/maml.ts';
import { createRng } from '../../src/rng.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { SineRegressionEnv } from '../../envs/sine-regression.ts';
import { MamlTrpo } from '../../agents/maml-trpo.ts';
import { envFactory } from '../../envs/factory.ts';

const policy = new GaussianMlpPolicy(2, 2, { hiddenSizes: [8], activation: 'tanh', initStd: 1 });
const params = policy.init(createRng(1));
const task = { goal: [0.2, 0.1] as [number, number] };
const advantages = { gamma: 0.99, gaeLambda: 1, normalize: true, regCoeff: 1e-5 };
const evalOpts = { tasks: [task], steps: 1, episodes: 2, fastLr: 0.1, advantages, rng: createRng(2) };

/** The error `f` throws; fails the test when it throws none. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error; nothing was thrown');
}

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

describe('input checks of the lower-level API', () => {
  it('evaluateAdaptation names swapped arguments, missing options and parameters of another shape', () => {
    const swapped = thrown(() => evaluateAdaptation(policy, (() => new Navigation2DEnv()) as unknown as ParamValues, params as unknown as () => Navigation2DEnv, evalOpts));
    expect(swapped).toBeInstanceOf(ConfigError);
    expect(swapped.message).toBe('params: must hold the policy\'s 5 parameter tensors (shapes [[2,8],[8],[8,2],[2],[2]]) (got a function)');
    const noAdv = thrown(() => evaluateAdaptation(policy, params, () => new Navigation2DEnv(), { ...evalOpts, advantages: undefined as never }));
    expect(noAdv.message).toMatch(/^advantages: must be \{ gamma, gaeLambda, normalize, regCoeff \}/);
    // regCoeff left out, and misspelt options (found by an API trial: both were taken).
    const { regCoeff: _, ...noReg } = evalOpts.advantages;
    expect(thrown(() => evaluateAdaptation(policy, params, () => new Navigation2DEnv(), { ...evalOpts, advantages: noReg as never })).message).toMatch(/^advantages: must be \{ gamma, gaeLambda, normalize, regCoeff \}/);
    expect(thrown(() => evaluateAdaptation(policy, params, () => new Navigation2DEnv(), { ...evalOpts, advantages: { ...evalOpts.advantages, lambda: 0.9 } as never })).message).toMatch(
      /^advantages\.lambda: is not an option of evaluateAdaptation's advantages \(did you mean gaeLambda\?\); its options: gamma, gaeLambda, normalize, bootstrapTruncated, regCoeff \(got 0\.9\)$/,
    );
    expect(thrown(() => evaluateAdaptation(policy, params, () => new Navigation2DEnv(), { ...evalOpts, episode: 3 } as never)).message).toMatch(/^episode: is not an option of evaluateAdaptation \(did you mean episodes\?\)/);
    const noRng = thrown(() => evaluateAdaptation(policy, params, () => new Navigation2DEnv(), { ...evalOpts, rng: undefined as never }));
    expect(noRng.message).toBe('rng: must be an Rng (createRng(seed))');
    const other = new GaussianMlpPolicy(2, 2, { hiddenSizes: [4], activation: 'tanh', initStd: 1 }).init(createRng(1));
    const shaped = thrown(() => evaluateAdaptation(policy, other, () => new Navigation2DEnv(), evalOpts));
    expect(shaped.message).toBe("params[0]: must hold the 16 values of the policy's tensor of shape [2,8] (got \"8 values\")");
    // A flat vector is described, not printed value by value.
    expect(thrown(() => evaluateAdaptation(policy, Float32Array.from({ length: 60 }) as unknown as ParamValues, () => new Navigation2DEnv(), evalOpts)).message).toMatch(/\(got "a flat Float32Array \(one array per tensor is needed\)"\)$/);
    // A policy sized for another env is the caller's input, not a failure of the task.
    const wide = new GaussianMlpPolicy(3, 2, { hiddenSizes: [8], activation: 'tanh', initStd: 1 });
    const notFit = thrown(() => evaluateAdaptation(wide, wide.init(createRng(1)), () => new Navigation2DEnv(), evalOpts));
    expect(notFit).toBeInstanceOf(ConfigError);
    expect(notFit.message).toMatch(/^policy: does not fit Navigation2D-v0/);
    // Right input still evaluates.
    expect(evaluateAdaptation(policy, params, () => new Navigation2DEnv(), evalOpts)).toHaveLength(2);
    // A step size so large that the adapted policy diverges is named (found by a bad-input trial: a stack trace from the sampler).
    const huge = thrown(() => evaluateAdaptation(policy, params, () => new Navigation2DEnv(), { ...evalOpts, fastLr: 1e30 }));
    expect(huge).toBeInstanceOf(ConfigError);
    expect(huge.message).toBe('fastLr: made the policy diverge in step 1 on task 1 (its parameters or actions are not finite): use a smaller step size (got 1e+30)');
  });

  it('sampleEpisodes, pgData and adaptValues refuse a bad count, another policy\'s parameters, a short advantage array, a NaN step size or advantage', () => {
    const envs = [new Navigation2DEnv(), new Navigation2DEnv()];
    expect(thrown(() => sampleEpisodes(envs, policy, { task, params, numEpisodes: 1.5, rng: createRng(3) })).message).toBe('numEpisodes: must be a positive integer (got 1.5)');
    expect(thrown(() => sampleEpisodes(envs, policy, { task, params: params.slice(0, 4), numEpisodes: 2, rng: createRng(3) })).message).toMatch(/^params: must hold the policy's 5 parameter tensors .* \(got "4 tensors"\)$/);
    const wide = new GaussianMlpPolicy(3, 2, { hiddenSizes: [8], activation: 'tanh', initStd: 1 });
    const notFit = thrown(() => sampleEpisodes(envs, wide, { task, params: wide.init(createRng(1)), numEpisodes: 2, rng: createRng(3) }));
    expect(notFit).toBeInstanceOf(ConfigError); // the policy's fault, not the env's (no EnvContractError)
    expect(notFit.message).toBe('policy: does not fit Navigation2D-v0 (observations [2], actions [2]): make it with new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], config) (got "3 inputs, 2 actions")');
    const ep = sampleEpisodes(envs, policy, { task, params, numEpisodes: 2, rng: createRng(3) });
    const adv = estimateAdvantages(ep, advantages);
    expect(thrown(() => pgData(ep, adv.slice(0, 10))).message).toBe(`advantages: must hold one value per step of the batch, T·B = ${ep.T * ep.B} (estimateAdvantages(ep, …) gives them) (got 10)`);
    const d = pgData(ep, adv);
    expect(thrown(() => adaptValues(policy, params, d, NaN)).message).toBe('lr: must be a finite step size ≥ 0 (got NaN)');
    expect(thrown(() => adaptValues(policy, params.slice(1), d, 0.1)).message).toMatch(/^values: must hold the policy's 5 parameter tensors/);
    expect(adaptValues(policy, params, d, 0.1).map((p) => p.length)).toEqual(params.map((p) => p.length));
    // A NaN advantage made every adapted parameter NaN; a batch of another env's widths was read as rows.
    const nan = { ...d, advantages: d.advantages.slice() };
    nan.advantages[3] = NaN;
    expect(thrown(() => adaptValues(policy, params, nan, 0.1)).message).toBe(`d.advantages: must be finite; row 3 of ${d.n} is not (got NaN)`);
    expect(thrown(() => adaptValues(policy, params, { ...d, obs: d.obs.slice(0, d.n) }, 0.1)).message).toBe(`d.obs: must be a Float32Array of n·2 = ${2 * d.n} values (got "length ${d.n}")`);
    expect(thrown(() => adaptValues(policy, params, { ...d, n: 1.5 }, 0.1)).message).toMatch(/^d\.n: must be the number of rows/);
  });

  it('TaskObjective needs fastLr; MamlTrpo checks the shape of every tensor, not only the total', () => {
    const envs = [new Navigation2DEnv(), new Navigation2DEnv()];
    const ep = sampleEpisodes(envs, policy, { task, params, numEpisodes: 2, rng: createRng(3) });
    const d = pgData(ep, estimateAdvantages(ep, advantages));
    const train = toTensors(d, 2, 2);
    const valid = validTensors(policy, d, params);
    expect(() => new TaskObjective(policy, [train], valid, { firstOrder: false } as never)).toThrow('TaskObjective: opts.fastLr must be a finite step size ≥ 0, got undefined');
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 1 });
    const good = MamlTrpo.initParams(cfg, envFactory(cfg), createRng(1));
    // The first two tensors swapped: the same number of values, read with the wrong layer widths.
    const swapped = [good[1]!, good[0]!, ...good.slice(2)];
    const e = thrown(() => new MamlTrpo(cfg, envFactory(cfg), swapped));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/^params\[0\]: must hold the \d+ values of the policy's tensor of shape \[2,\d+\]/);
  });

  it('MamlTrpo refuses an algo metarl train would not run with it, and a supervised env (found by a browser-page trial: both ran as MAML-TRPO)', () => {
    const reptile = resolveConfig('Navigation2D-v0', 'tiny', { algo: 'reptile' });
    const e = thrown(() => new MamlTrpo(reptile, envFactory(reptile), MamlTrpo.initParams(reptile, envFactory(reptile), createRng(1))));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('algo: is not one MamlTrpo trains (maml-trpo, pretrained, oracle); supervised algos train with SupervisedMetaLearner (metarl/agents, Node) or metarl train (got "reptile")');
    // The sine preset with the RL algo: the sine env is supervised.
    const sine = resolveConfig('SineRegression-v0', 'sine', { algo: 'maml-trpo' });
    const s = thrown(() => new MamlTrpo(sine, envFactory(sine), []));
    expect(s).toBeInstanceOf(ConfigError);
    expect(s.message).toMatch(/^env: is a supervised env, and MamlTrpo trains RL policies; .* \(got "SineRegression-v0"\)$/);
    for (const algo of ['maml-trpo', 'pretrained', 'oracle'] as const) {
      const cfg = resolveConfig('Navigation2D-v0', 'tiny', { algo });
      expect(new MamlTrpo(cfg, envFactory(cfg), MamlTrpo.initParams(cfg, envFactory(cfg), createRng(1))).workers).toBe(1);
    }
  });

  it('envFactory refuses a config that is not whole (found by an API trial: a TypeError about normalizeActions)', () => {
    expect(() => envFactory({ env: 'Navigation2D-v0' } as never)).toThrow('config: must be a whole config: build it with resolveConfig(env, preset, overrides) (got "a config without env or policy")');
    expect(() => envFactory('Navigation2D-v0' as never)).toThrow('config: must be a whole config: build it with resolveConfig(env, preset, overrides) (got "Navigation2D-v0")');
    expect(envFactory(resolveConfig('Navigation2D-v0', 'tiny'))().id).toBe('Navigation2D-v0');
  });

  it('resolveConfig refuses overrides given as the preset; createRng says it got a string', () => {
    const e = thrown(() => resolveConfig('Navigation2D-v0', { seed: 1 } as never));
    expect(e.message).toMatch(/^preset: must be a preset name \(navigation, .*\) or undefined, resolveConfig's second argument; the overrides come after it \(got \{"seed":1\}\)$/);
    expect(() => createRng('7' as never)).toThrow('seed must be a non-negative integer, got the string "7"');
  });

  it('validateConfig refuses what is not a config, resolveConfig names the largest seed, a policy names an unknown key (found by a library trial)', () => {
    expect(thrown(() => validateConfig(null as never)).message).toBe("config: must be an object: a TrainConfig, as resolveConfig gives it or a run's config.json holds it (got null)");
    expect(thrown(() => validateConfig({} as never)).message).toBe('env: must be an env id (a non-empty string)');
    expect(thrown(() => resolveConfig('Navigation2D-v0', 'tiny', { seed: 2 ** 60 })).message).toBe(`seed: must be at most ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER: above it, doubles skip integers) (got ${2 ** 60})`);
    expect(thrown(() => resolveConfig('Navigation2D-v0', 'tiny', { seed: 1.5 })).message).toBe('seed: must be a non-negative integer (got 1.5)');
    expect(resolveConfig('Navigation2D-v0', 'tiny', { seed: Number.MAX_SAFE_INTEGER }).seed).toBe(Number.MAX_SAFE_INTEGER);
    expect(thrown(() => new GaussianMlpPolicy(2, 2, { hiddenSizes: [8], activation: 'tanh', initStd: 1, hidden: [3] } as never)).message).toBe('policy.hidden: is not an option of a policy config (did you mean hiddenSizes?); its options: hiddenSizes, activation, initStd, normalizeActions (got [3])');
    expect(thrown(() => new GaussianMlpPolicy(2, 2, { hiddenSize: [8], activation: 'tanh', initStd: 1 } as never)).message).toContain('policy.hiddenSize: is not an option of a policy config (did you mean hiddenSizes?)');
  });

  it('resolveConfig given the env tells its kind from what it is: tiny on a supervised env of one\'s own is supervised (it was the RL tiny config, told from the id)', () => {
    class LineEnv extends SineRegressionEnv { override readonly id = 'Line-v0'; }
    const tiny = resolveConfig(new LineEnv(), 'tiny');
    expect([tiny.env, tiny.algo, tiny.iterations, tiny.sampling.metaBatchSize, tiny.policy.activation]).toEqual(['Line-v0', 'maml', 3, 4, 'relu']);
    // Its own preset when none is named; an RL env's own by its id, as before.
    expect(resolveConfig(new LineEnv()).iterations).toBe(resolveConfig('SineRegression-v0').iterations);
    expect(resolveConfig(new Navigation2DEnv(), 'tiny')).toEqual(resolveConfig('Navigation2D-v0', 'tiny'));
    // Given an id only, the kind comes from the id (documented), and a thing that is neither is named.
    expect(resolveConfig('Line-v0', 'tiny').algo).toBe('maml-trpo');
    expect(thrown(() => resolveConfig({} as never)).message).toMatch(/^env: must be an env id or an env \(make\(id\)\), resolveConfig's first argument/);
    expect(thrown(() => resolveConfig(new LineEnv(), 'tiny', { env: 'Other-v0' })).message).toContain('pass make("Other-v0") as resolveConfig\'s first argument instead');
  });
});
