// The supervised meta-learner's task blocks on worker threads: same results for any number of
// workers (the per-task gradients are summed in task order on the main thread), and a task that
// fails stops training with an error naming it.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig, type TrainConfig } from '../../src/config.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { train } from '../../agents/trainer.ts';
import { TaskFailedError } from '../../agents/shards.ts';
import { make } from '../../envs/index.ts';
import { registerSyntheticOmniglot } from '../helpers/synthetic-omniglot-env.ts';
import { FAULTY_TASK } from '../helpers/faulty-env.ts';
import { createRng } from '../../src/rng.ts';
import { paramsHex, progressWithoutTime } from '../helpers/progress.ts';

const ID = 'OmniglotSyntheticWorkers5Way1Shot-v0';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
  registerSyntheticOmniglot(ID, 12);
});

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-sup-workers-'));

const omniglot = (algo: string): TrainConfig =>
  resolveConfig(ID, 'omniglot', { algo, iterations: 2, checkpointEvery: 100, sampling: { metaBatchSize: 4 }, supervised: { convFilters: 4 } });
const sine = (algo: string): TrainConfig => resolveConfig('SineRegression-v0', 'sine', { algo, iterations: 3, checkpointEvery: 100, sampling: { metaBatchSize: 5 } });

describe('supervised meta-learning with worker threads', () => {
  it.each([
    ['maml', 'Omniglot (conv net, second order)', omniglot('maml')],
    ['protonet', 'Omniglot', omniglot('protonet')],
    ['meta-sgd', 'sine', sine('meta-sgd')],
    ['reptile', 'sine', sine('reptile')],
  ])('%s on %s: bit-identical progress and parameters for 1, 2 and 3 workers', async (_algo, _env, cfg) => {
    // 4 or 5 tasks: 3 workers get uneven blocks.
    const runs = [];
    for (const workers of [1, 2, 3]) {
      const out = tmp();
      const { records } = await train(cfg, { out, workers });
      runs.push({ progress: progressWithoutTime(out), params: paramsHex(loadCheckpoint(out).params), tensors: records.map((r) => r.numTensors) });
    }
    expect(runs[0]!.progress).toHaveLength(cfg.iterations);
    expect(JSON.parse(runs[0]!.progress[0]!).lossAfter).toBeGreaterThan(0);
    for (const r of runs.slice(1)) {
      expect(r.progress).toEqual(runs[0]!.progress);
      expect(r.params).toEqual(runs[0]!.params);
      expect(new Set(r.tensors).size).toBe(1); // flat across iterations, workers' tensors included
    }
  }, 120_000);

  it.each([1, 2])('a task with a malformed example stops training with an error naming the task (%i workers)', async (workers) => {
    const cfg = resolveConfig('FaultySine-v0', 'sine', { algo: 'maml', iterations: 2, sampling: { metaBatchSize: 4 } });
    const task = JSON.stringify(make('FaultySine-v0').sampleTasks(4, createRng(1).fork('tasks', 0))[FAULTY_TASK]);
    const err = await train(cfg, { out: tmp(), workers }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    const e = err as TaskFailedError;
    expect(e.item).toBe(FAULTY_TASK);
    expect(e.phase).toBe('metaGradient');
    expect(e.message).toContain(`task ${FAULTY_TASK + 1} of 4 ${task}`); // counted from 1
    expect(e.message).toMatch(/should have 10 values but has 9|shape/);
    if (workers > 1) expect(e.message).toContain('worker 1');
  }, 60_000);
});

describe('settings a supervised run would not use', () => {
  it('the conv net of the classification envs has no MLP sizes to take (found by a supervised-path trial: accepted and ignored)', async () => {
    const cfg = resolveConfig(ID, 'omniglot', { algo: 'protonet', iterations: 1, policy: { hiddenSizes: [8], activation: 'relu' } });
    await expect(train(cfg, { out: tmp() })).rejects.toThrow(`policy.hiddenSizes: shapes the MLP of RL envs and regression; ${ID}'s model is a conv net (supervised.convFilters) (got [8])`);
  });

  it('data whose test split cannot give the held-out tasks is refused before training (found by a supervised-path trial: evaluate failed after it)', async () => {
    const small = 'OmniglotSyntheticSmall20Way-v0';
    registerSyntheticOmniglot(small, 12, 20);
    const out = join(tmp(), 'run');
    const cfg = resolveConfig(small, 'omniglot', { algo: 'protonet', iterations: 1, sampling: { metaBatchSize: 2 }, supervised: { convFilters: 4 } });
    await expect(train(cfg, { out })).rejects.toThrow(/^20-way tasks need 20 classes, split test has \d+: the held-out tasks that evaluate and compare draw cannot be made$/);
    expect(existsSync(out)).toBe(false);
  });
});
