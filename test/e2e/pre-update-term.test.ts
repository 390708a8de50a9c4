/**
 * `adaptation.preUpdateWeight` end to end: MAML-TRPO trains with the pre-update term, any number of
 * workers gives the same run, the term changes the objective and the step, and the key is rejected
 * where it has no effect.
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

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-preupdate-'));
const config = (preUpdateWeight: number, algo = 'maml-trpo') => resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2, algo, adaptation: { preUpdateWeight } });

describe('pre-update term for MAML-TRPO', () => {
  it('trains with 1 and 2 workers to identical runs, unlike the run without the term', async () => {
    const runs = await Promise.all(
      [
        [0.5, 1],
        [0.5, 2],
        [0, 1],
      ].map(async ([w0, workers]) => {
        const out = tmp();
        await train(config(w0!), { out, workers: workers! });
        return { progress: progressWithoutTime(out).map((l) => JSON.parse(l) as Record<string, unknown>), params: paramsHex(loadCheckpoint(out).params) };
      }),
    );
    const [p1, p2, plain] = runs;
    expect(p1!.progress).toHaveLength(2);
    for (const r of p1!.progress) expect(Number.isFinite(r.lossBefore as number) && Number.isFinite(r.kl as number)).toBe(true);
    expect(p2!.progress).toEqual(p1!.progress);
    expect(p2!.params).toEqual(p1!.params);
    // Same episodes in the first iteration, a different objective: the loss and the step differ.
    expect(plain!.progress[0]!.returnsBefore).toBe(p1!.progress[0]!.returnsBefore);
    expect(plain!.progress[0]!.returnsAfter).toBe(p1!.progress[0]!.returnsAfter);
    expect(plain!.progress[0]!.lossBefore).not.toBe(p1!.progress[0]!.lossBefore);
    expect(plain!.params).not.toEqual(p1!.params);
  }, 120_000);

  it('rejects the key where it has no effect or is negative, naming the field and the value', async () => {
    await expect(train(config(0.5, 'pretrained'), { out: tmp() })).rejects.toThrow(ConfigError);
    await expect(train(config(0.5, 'oracle'), { out: tmp() })).rejects.toThrow(/adaptation\.preUpdateWeight: applies to algo maml-trpo on RL envs, not oracle on Navigation2D-v0 \(got 0\.5\)/);
    const sine = resolveConfig('SineRegression-v0', undefined, { adaptation: { preUpdateWeight: 1 } });
    await expect(train(sine, { out: tmp() })).rejects.toThrow(/adaptation\.preUpdateWeight.*RL envs/);
    expect(() => config(-1)).toThrow(/adaptation\.preUpdateWeight.*-1/);
  });
});
