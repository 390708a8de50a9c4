/**
 * The episode the cheetah view animates (demo/views/half-cheetah.ts, rolloutCheetah) is the
 * mean-action episode the page's AdaptationSession reports (`meanPath`), with a pose per control step;
 * for oracle runs the undrawable TaskObservationWrapper is shadowed by a plain env with the same
 * motion. Runs in Node; test/browser/cheetah.test.ts drives the view in Chromium.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { GaussianMlpPolicy } from '../../src/policy.ts';
import { createRng } from '../../src/rng.ts';
import { make } from '../../envs/index.ts';
import { HALF_CHEETAH_HORIZON, type HalfCheetahDirEnv } from '../../envs/half-cheetah.ts';
import { TaskObservationWrapper } from '../../envs/oracle.ts';
import { meanActionPath } from '../../demo/adaptation.ts';
import { rolloutCheetah } from '../../demo/views/half-cheetah.ts';

const POLICY = { hiddenSizes: [16, 16], activation: 'tanh' as const, initStd: 1 };

beforeAll(async () => {
  await initBackend('cpu', { log: () => {} });
});

describe('cheetah view rollout', () => {
  it('replays the mean-action episode of AdaptationStep.meanPath, one pose per control step', () => {
    const policy = new GaussianMlpPolicy(17, 6, POLICY);
    const params = policy.init(createRng(3));
    const task = { velocity: 1.5 };
    const r = rolloutCheetah(policy, params, () => make('HalfCheetahVel-v0'), 'HalfCheetahVel-v0', task);
    expect(r.frames.length).toBe(HALF_CHEETAH_HORIZON + 1);
    expect(r.rewards.length).toBe(HALF_CHEETAH_HORIZON);
    expect(r.episodeReturn).toBeCloseTo(r.rewards.reduce((a, b) => a + b, 0), 9);
    expect(r.obs.map((o) => Array.from(o))).toEqual(meanActionPath(policy, params, make('HalfCheetahVel-v0'), task).map((o) => Array.from(o)));
    // The reward is −|v − 1.5| − control cost, v the recorded forward velocity.
    for (let t = 0; t < 5; t++) expect(r.rewards[t]!).toBeLessThanOrEqual(-Math.abs(r.velocities[t]! - 1.5) + 1e-9);
    // Capsules in metres near the ground: 7 bodies, the torso 1 m long.
    const f = r.frames[0]!;
    expect(f.bodies.length).toBe(7);
    for (const c of f.capsules) expect(Math.abs(c.z1 - f.groundZ)).toBeLessThan(1.5);
  });

  it('draws an oracle run through a plain twin env with the same motion', () => {
    const id = 'HalfCheetahDir-v0';
    const task = { direction: -1 };
    const oracle = new GaussianMlpPolicy(18, 6, POLICY);
    const params = oracle.init(createRng(4));
    const r = rolloutCheetah(oracle, params, () => new TaskObservationWrapper(make(id)), id, task);
    expect(r.frames.length).toBe(HALF_CHEETAH_HORIZON + 1);
    // The policy saw the task appended; the twin's poses match a plain env stepped with the same actions.
    expect(r.obs[0]!.length).toBe(18);
    expect(r.obs[0]![17]).toBe(-1);
    const plain = make(id) as HalfCheetahDirEnv;
    const wrapped = new TaskObservationWrapper(make(id));
    plain.setTask({ direction: -1 });
    wrapped.setTask(task);
    let o = wrapped.reset({ seed: 0 }).obs;
    plain.reset({ seed: 0 });
    for (let t = 0; t < 30; t++) {
      const a = oracle.meanJs(params, o, 1);
      o = wrapped.step(a).obs;
      plain.step(a);
    }
    expect(r.frames[30]).toEqual(plain.renderState());
    expect(Number.isFinite(r.episodeReturn)).toBe(true);
  });
});
