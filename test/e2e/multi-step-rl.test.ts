/**
 * MAML-TRPO through two inner steps with the multi-step outer objective: it trains, any number of
 * workers gives the same run, it is a different objective from the last-step-only one, and the
 * config keys are rejected where they would have no effect.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { ConfigError, resolveConfig } from '../../src/config.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { train } from '../../agents/trainer.ts';
import { paramsHex, progressWithoutTime } from '../helpers/progress.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-multistep-'));
const twoSteps = (multiStepLoss: boolean, multiStepWeights: number[] = []) =>
  resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2, adaptation: { numInnerSteps: 2, laterStepsLrFactor: 0.5, multiStepLoss, multiStepWeights } });

describe('multi-step loss for MAML-TRPO', () => {
  it('trains with 1 and 2 workers to identical runs, unlike the last-step-only and the weighted objectives', async () => {
    const runs = await Promise.all(
      [
        [true, 1, []],
        [true, 2, []],
        [false, 1, []],
        [true, 2, [3, 1]],
      ].map(async ([multi, workers, weights]) => {
        const out = tmp();
        await train(twoSteps(multi as boolean, weights as number[]), { out, workers: workers as number });
        return { progress: progressWithoutTime(out).map((l) => JSON.parse(l) as Record<string, unknown>), params: paramsHex(loadCheckpoint(out).params) };
      }),
    );
    const [m1, m2, last, weighted] = runs;
    expect(m1!.progress).toHaveLength(2);
    for (const r of m1!.progress) {
      expect(Number.isFinite(r.lossBefore as number) && Number.isFinite(r.kl as number)).toBe(true);
    }
    expect(m2!.progress).toEqual(m1!.progress);
    expect(m2!.params).toEqual(m1!.params);
    // Same episodes in the first iteration, different objective: the losses and the step differ.
    expect(last!.progress[0]!.returnsAfter).toBe(m1!.progress[0]!.returnsAfter);
    expect(last!.progress[0]!.lossBefore).not.toBe(m1!.progress[0]!.lossBefore);
    expect(last!.params).not.toEqual(m1!.params);
    // The weights reach the objective: same first episodes, a different loss and step.
    expect(weighted!.progress[0]!.returnsAfter).toBe(m1!.progress[0]!.returnsAfter);
    expect(weighted!.progress[0]!.lossBefore).not.toBe(m1!.progress[0]!.lossBefore);
    expect(weighted!.params).not.toEqual(m1!.params);
  }, 120_000);

  it('rejects the keys where they have no effect, naming the field', async () => {
    const oneStep = resolveConfig('Navigation2D-v0', 'tiny', { adaptation: { multiStepLoss: true } });
    await expect(train(oneStep, { out: tmp() })).rejects.toThrow(ConfigError);
    await expect(train(oneStep, { out: tmp() })).rejects.toThrow(/adaptation\.multiStepLoss.*numInnerSteps ≥ 2/);
    const pretrained = resolveConfig('Navigation2D-v0', 'tiny', { algo: 'pretrained', adaptation: { numInnerSteps: 2, multiStepLoss: true } });
    await expect(train(pretrained, { out: tmp() })).rejects.toThrow(/adaptation\.multiStepLoss.*pretrained/);
    const sine = resolveConfig('SineRegression-v0', undefined, { adaptation: { laterStepsLrFactor: 0.5 } });
    await expect(train(sine, { out: tmp() })).rejects.toThrow(/adaptation\.laterStepsLrFactor.*RL envs/);
    expect(() => resolveConfig('Navigation2D-v0', 'tiny', { adaptation: { laterStepsLrFactor: 0 } })).toThrow(/adaptation\.laterStepsLrFactor/);
    const weights = (adaptation: object) => train(resolveConfig('Navigation2D-v0', 'tiny', { adaptation }), { out: tmp() });
    await expect(weights({ numInnerSteps: 2, multiStepWeights: [2, 1] })).rejects.toThrow(/adaptation\.multiStepWeights.*without adaptation\.multiStepLoss/);
    await expect(weights({ numInnerSteps: 2, multiStepLoss: true, multiStepWeights: [2, 1, 1] })).rejects.toThrow(/adaptation\.multiStepWeights.*one weight per inner step.*\[2,1,1\]/);
    await expect(weights({ numInnerSteps: 2, multiStepLoss: true, multiStepWeights: [0, 0] })).rejects.toThrow(/adaptation\.multiStepWeights.*> 0/);
    expect(() => resolveConfig('Navigation2D-v0', 'tiny', { adaptation: { multiStepWeights: [1, -1] } })).toThrow(/adaptation\.multiStepWeights.*≥ 0/);
    expect(() => resolveConfig('Navigation2D-v0', 'tiny', { adaptation: { multiStepWeights: 'a' } })).toThrow(/adaptation\.multiStepWeights/);
  });
});
