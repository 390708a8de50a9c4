/**
 * MAML-TRPO with learned inner step sizes (`adaptation.learnedLr`) end to end: the first iteration
 * samples and adapts exactly as plain MAML (s starts at 1), the multipliers move, 1 and 2 workers
 * give the same run, `--init-from` a plain run appends s = 1, evaluation steps with α s, the CLI
 * evaluates such a run, and the key is rejected where it has no effect.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig } from '../../src/config.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { GaussianMlpPolicy } from '../../src/policy.ts';
import { splitMeta } from '../../src/maml.ts';
import { evaluateAdaptation } from '../../src/evaluation.ts';
import { envFactory } from '../../envs/factory.ts';
import { createRng } from '../../src/rng.ts';
import { train } from '../../agents/trainer.ts';
import { paramsHex, progressWithoutTime } from '../helpers/progress.ts';

const BIN = join(__dirname, '..', '..', 'bin', 'metarl.mjs');

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-learned-lr-'));
const config = (extra: object = {}, iterations = 2) =>
  resolveConfig('Navigation2D-v0', 'tiny', { iterations, adaptation: { learnedLr: true, ...extra } });
const plainConfig = (iterations = 2) => resolveConfig('Navigation2D-v0', 'tiny', { iterations });
const read = (out: string) => ({ progress: progressWithoutTime(out).map((l) => JSON.parse(l) as Record<string, number>), ck: loadCheckpoint(out) });

describe('learned inner step sizes in MAML-TRPO', () => {
  const dirs: Record<string, string> = {};

  beforeAll(async () => {
    // One after another: two in-process runs at once would count each other's live tensors.
    for (const [name, cfg, workers] of [
      ['learned1', config(), 1],
      ['learned2', config(), 2],
      ['plain', plainConfig(), 1],
    ] as const) {
      dirs[name] = tmp();
      await train(cfg, { out: dirs[name]!, workers });
    }
  }, 180_000);

  it('starts as plain MAML, moves s, and is the same run on 1 and 2 workers', () => {
    const l1 = read(dirs.learned1!);
    const l2 = read(dirs.learned2!);
    const plain = read(dirs.plain!);
    const n = plain.ck.params.length;
    expect(l1.ck.params).toHaveLength(2 * n);
    expect(l1.ck.meta.shapes).toEqual([...plain.ck.meta.shapes, ...plain.ck.meta.shapes]);
    expect(l2.progress).toEqual(l1.progress);
    expect(paramsHex(l2.ck.params)).toEqual(paramsHex(l1.ck.params));
    // Iteration 0 samples with the same θ and adapts with s = 1: the same returns as plain MAML.
    expect(l1.progress[0]!.returnsBefore).toBe(plain.progress[0]!.returnsBefore);
    expect(l1.progress[0]!.returnsAfter).toBe(plain.progress[0]!.returnsAfter);
    expect(l1.progress.every((p) => p.lineSearchAccepted)).toBe(true);
    const s = l1.ck.params.slice(n).flatMap((p) => Array.from(p));
    expect(s.some((v) => Math.abs(v - 1) > 1e-4)).toBe(true);
    // The log reports the multipliers after each step.
    const last = l1.progress.at(-1)! as unknown as { lrScale: { mean: number; min: number; max: number; gradNorm: number } };
    expect(last.lrScale.min).toBeCloseTo(Math.min(...s), 6);
    expect(last.lrScale.max).toBeCloseTo(Math.max(...s), 6);
    expect(last.lrScale.mean).toBeCloseTo(s.reduce((a, b) => a + b, 0) / s.length, 5);
    expect(last.lrScale.gradNorm).toBeGreaterThan(0);
  });

  it('learnedLrGain preconditions the s part of the TRPO step: a larger gain moves s further', async () => {
    const moved = async (gain: number) => {
      const out = tmp();
      await train(config({ learnedLrGain: gain }, 1), { out });
      const ps = loadCheckpoint(out).params;
      const s = ps.slice(ps.length / 2).flatMap((p) => Array.from(p));
      return Math.sqrt(s.reduce((a, v) => a + (v - 1) ** 2, 0) / s.length);
    };
    const [small, large] = [await moved(1), await moved(30)];
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(5 * small);
  }, 60_000);

  it('--init-from a plain run keeps its θ and starts s at 1: its first iteration is the plain one', async () => {
    const learned = tmp();
    const plain = tmp();
    await train(config({}, 1), { out: learned, initFrom: dirs.plain! });
    await train(plainConfig(1), { out: plain, initFrom: dirs.plain! });
    const l = read(learned);
    const p = read(plain);
    expect(l.ck.params).toHaveLength(2 * p.ck.params.length);
    expect(l.progress[0]!.returnsBefore).toBe(p.progress[0]!.returnsBefore);
    expect(l.progress[0]!.returnsAfter).toBe(p.progress[0]!.returnsAfter);
    expect(l.progress[0]!.lossBefore).toBe(p.progress[0]!.lossBefore);
  }, 60_000);

  it('evaluation steps with α s: s = 2 everywhere is the step 2α', () => {
    const cfg = config();
    const makeEnv = envFactory(cfg);
    const env = makeEnv();
    const policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], cfg.policy);
    const { theta } = splitMeta(loadCheckpoint(dirs.learned1!).params, policy.shapes.length, true);
    const tasks = env.sampleTasks(3, createRng(5).fork('tasks'));
    const run = (fastLr: number, lrScale: Float32Array[] | null) =>
      evaluateAdaptation(policy, theta, makeEnv, { tasks, steps: 2, episodes: 4, fastLr, lrScale, advantages: { ...cfg.advantages, regCoeff: cfg.baseline.regCoeff }, rng: createRng(9) });
    const twos = theta.map((p) => new Float32Array(p.length).fill(2));
    const scaled = run(0.05, twos);
    const doubled = run(0.1, null);
    const single = run(0.05, null);
    for (let k = 1; k <= 2; k++) {
      scaled[k]!.perTask.forEach((v, i) => expect(v).toBeCloseTo(doubled[k]!.perTask[i]!, 3));
    }
    expect(scaled[2]!.perTask).not.toEqual(single[2]!.perTask);
  });

  it('metarl evaluate reads a run with learned step sizes', () => {
    const r = spawnSync(process.execPath, [BIN, 'evaluate', '--run', dirs.learned1!, '--tasks', '2', '--steps', '1', '--episodes', '3'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/step 0 \| step 1/);
  });

  it('rejects the key where it has no effect, naming the field and the value', async () => {
    await expect(train(config({ firstOrder: true }), { out: tmp() })).rejects.toThrow(/adaptation\.learnedLr.*first order/);
    const pretrained = resolveConfig('Navigation2D-v0', 'tiny', { algo: 'pretrained', adaptation: { learnedLr: true } });
    await expect(train(pretrained, { out: tmp() })).rejects.toThrow(/adaptation\.learnedLr.*pretrained/);
    const sine = resolveConfig('SineRegression-v0', undefined, { adaptation: { learnedLr: true } });
    await expect(train(sine, { out: tmp() })).rejects.toThrow(/adaptation\.learnedLr.*meta-sgd/);
    expect(() => config({ learnedLr: 'yes' })).toThrow(/adaptation\.learnedLr.*"yes"/);
    expect(() => config({ learnedLrGain: 0 })).toThrow(/adaptation\.learnedLrGain.*0/);
    const gainAlone = resolveConfig('Navigation2D-v0', 'tiny', { adaptation: { learnedLrGain: 5 } });
    await expect(train(gainAlone, { out: tmp() })).rejects.toThrow(/adaptation\.learnedLrGain.*without adaptation\.learnedLr.*5/);
  });
});
