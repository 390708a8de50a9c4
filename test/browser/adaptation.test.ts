/**
 * The page's inner loop (demo/adaptation.ts) runs the library's evaluation protocol: on the same
 * task and streams it reproduces `evaluateAdaptation` exactly, and it adapts the fixture policy.
 * Runs in Node; test/browser/demo.test.ts runs the same code in Chromium.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { validateConfig } from '../../src/config.ts';
import { evaluateAdaptation } from '../../src/evaluation.ts';
import { GaussianMlpPolicy } from '../../src/policy.ts';
import { createRng } from '../../src/rng.ts';
import { make } from '../../envs/index.ts';
import { AdaptationSession } from '../../demo/adaptation.ts';

const FIXTURE = join(import.meta.dirname, 'fixture-run');

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

/** The fixture run, its policy and env factory, and one task with the evaluation's streams. */
function fixture() {
  const ck = loadCheckpoint(FIXTURE);
  const cfg = validateConfig(ck.meta.config);
  const policy = new GaussianMlpPolicy(ck.meta.obsDim, ck.meta.actDim, cfg.policy);
  const makeEnv = () => make(cfg.env);
  const advantages = { ...cfg.advantages, regCoeff: cfg.baseline.regCoeff };
  return { ck, cfg, policy, makeEnv, advantages, task: { goal: [0.35, -0.3] }, rng: createRng(7).fork('evaluate') };
}

describe('demo AdaptationSession', () => {
  it('matches evaluateAdaptation step for step and improves the return', () => {
    const { ck, cfg, policy, makeEnv, advantages, task, rng } = fixture();
    const stats = evaluateAdaptation(policy, ck.params, makeEnv, { tasks: [task], steps: 3, episodes: 20, fastLr: cfg.adaptation.fastLr, advantages, rng });
    const session = new AdaptationSession(policy, ck.params, makeEnv, { task, episodes: 20, fastLr: cfg.adaptation.fastLr, advantages, rng: rng.fork('episodes', 0) });
    const steps = [0, 1, 2, 3].map(() => session.next());
    expect(steps.map((s) => s.meanReturn)).toEqual(stats.map((s) => s.perTask[0]));
    expect(steps.map((s) => s.lr)).toEqual([0, 0.1, 0.05, 0.05]);
    expect(steps[1]!.meanReturn).toBeGreaterThan(steps[0]!.meanReturn + 5);
    // The mean-action path starts at the origin and ends nearer the goal after adapting.
    const dist = (p: Float32Array) => Math.hypot(p[0]! - 0.35, p[1]! + 0.3);
    expect(Array.from(steps[0]!.meanPath[0]!)).toEqual([0, 0]);
    expect(dist(steps[3]!.meanPath.at(-1)!)).toBeLessThan(dist(steps[0]!.meanPath.at(-1)!));
  }, 60_000);

  it('with learned step sizes, scales its steps by them as evaluateAdaptation does', () => {
    const { ck, cfg, policy, makeEnv, advantages, task, rng } = fixture();
    // Multipliers other than 1 (as a learned-step-size run's s): 3 on every entry.
    const lrScale = ck.params.map((p) => new Float32Array(p.length).fill(3));
    const stats = evaluateAdaptation(policy, ck.params, makeEnv, { tasks: [task], steps: 2, episodes: 20, fastLr: cfg.adaptation.fastLr, lrScale, advantages, rng });
    const session = new AdaptationSession(policy, ck.params, makeEnv, { task, episodes: 20, fastLr: cfg.adaptation.fastLr, lrScale, advantages, rng: rng.fork('episodes', 0) });
    const steps = [0, 1, 2].map(() => session.next());
    expect(steps.map((s) => s.meanReturn)).toEqual(stats.map((s) => s.perTask[0]));
    // …and not as the plain steps do.
    const plain = new AdaptationSession(policy, ck.params, makeEnv, { task, episodes: 20, fastLr: cfg.adaptation.fastLr, advantages, rng: rng.fork('episodes', 0) });
    expect([0, 1].map(() => plain.next().meanReturn)[1]).not.toBe(steps[1]!.meanReturn);
  }, 60_000);
});
