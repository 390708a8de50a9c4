/**
 * MAML-TRPO with the LVC inner loss end to end: same episodes in the first iteration as REINFORCE
 * (the adaptation is the same), a different meta-step, identical runs with 1 and 2 workers, and the
 * key rejected where it has no effect.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig } from '../../src/config.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { train } from '../../agents/trainer.ts';
import { paramsHex, progressWithoutTime } from '../helpers/progress.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-lvc-'));
const config = (innerLoss: string, extra: object = {}) =>
  resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2, adaptation: { innerLoss, ...extra } });

describe('LVC inner loss in MAML-TRPO', () => {
  it('adapts as REINFORCE does, steps differently, and is the same run on 1 and 2 workers', async () => {
    // One after another: two in-process runs at once would count each other's live tensors.
    const runs = [];
    for (const [innerLoss, workers] of [
      ['lvc', 1],
      ['lvc', 2],
      ['reinforce', 1],
    ] as const) {
      const out = tmp();
      await train(config(innerLoss), { out, workers });
      runs.push({ progress: progressWithoutTime(out).map((l) => JSON.parse(l) as Record<string, unknown>), params: paramsHex(loadCheckpoint(out).params) });
    }
    const [l1, l2, rf] = runs;
    expect(l1!.progress).toHaveLength(2);
    expect(l2!.progress).toEqual(l1!.progress);
    expect(l2!.params).toEqual(l1!.params);
    expect(l1!.progress[0]!.returnsBefore).toBe(rf!.progress[0]!.returnsBefore);
    expect(l1!.progress[0]!.returnsAfter).toBe(rf!.progress[0]!.returnsAfter);
    expect(l1!.progress[0]!.lossBefore).toBe(rf!.progress[0]!.lossBefore);
    expect(l1!.params).not.toEqual(rf!.params);
  }, 120_000);

  it('rejects the key where it has no effect, naming the field and the value', async () => {
    await expect(train(config('lvc', { firstOrder: true }), { out: tmp() })).rejects.toThrow(/adaptation\.innerLoss.*first order.*"lvc"/);
    const pretrained = resolveConfig('Navigation2D-v0', 'tiny', { algo: 'pretrained', adaptation: { innerLoss: 'lvc' } });
    await expect(train(pretrained, { out: tmp() })).rejects.toThrow(/adaptation\.innerLoss.*pretrained/);
    expect(() => config('dice')).toThrow(/adaptation\.innerLoss.*"dice"/);
  });
});
