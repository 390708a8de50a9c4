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
const twoSteps = (multiStepLoss: boolean) =>
  resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2, adaptation: { numInnerSteps: 2, laterStepsLrFactor: 0.5, multiStepLoss } });

describe('multi-step loss for MAML-TRPO', () => {
  it('trains with 1 and 2 workers to identical runs, unlike the last-step-only objective', async () => {
    const runs = await Promise.all(
      [
        [true, 1],
        [true, 2],
        [false, 1],
      ].map(async ([multi, workers]) => {
        const out = tmp();
        await train(twoSteps(multi as boolean), { out, workers: workers as number });
        return { progress: progressWithoutTime(out).map((l) => JSON.parse(l) as Record<string, unknown>), params: paramsHex(loadCheckpoint(out).params) };
      }),
    );
    const [m1, m2, last] = runs;
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
  });
});
