import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig } from '../../src/config.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { train, trainingStop } from '../../agents/trainer.ts';
import { TaskFailedError } from '../../agents/maml-trpo.ts';
import { contiguousBlocks } from '../../agents/maml-shard.ts';
import { createRng } from '../../src/rng.ts';
import { make } from '../../envs/index.ts';
import { FAULTY_TASK } from '../helpers/faulty-env.ts';
import { paramsHex, progressWithoutTime } from '../helpers/progress.ts';

const FAULTY_ENVS = new URL('../helpers/faulty-env.ts', import.meta.url);

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-workers-'));

describe('contiguousBlocks', () => {
  it('splits tasks into ordered blocks whose sizes differ by at most one', () => {
    expect(contiguousBlocks(20, 2)).toEqual([[0, 10], [10, 20]]);
    expect(contiguousBlocks(4, 3)).toEqual([[0, 2], [2, 3], [3, 4]]);
    expect(contiguousBlocks(2, 5)).toEqual([[0, 1], [1, 2]]);
    expect(contiguousBlocks(7, 1)).toEqual([[0, 7]]);
  });
});

describe('MAML-TRPO with worker threads', () => {
  it('gives bit-identical progress and parameters for 1, 3 and 9 workers (9 start as 4, one per task)', async () => {
    // 4 tasks: 3 workers get uneven blocks (2, 1, 1); more workers than tasks would only start (found by an edge-input trial: 1000 filled 10 GB).
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 2 });
    const lines: string[] = [];
    const runs = await Promise.all(
      [1, 3, 9].map(async (workers) => {
        const out = tmp();
        await train(cfg, { out, workers, log: (l) => lines.push(l) });
        return { progress: progressWithoutTime(out), params: loadCheckpoint(out).params };
      }),
    );
    expect(lines.filter((l) => l.startsWith('training '))).toEqual(expect.arrayContaining([expect.stringMatching(/\(4 workers, one per task of the 4 an iteration has: 9 asked for more\)$/), expect.stringMatching(/\(3 workers\)$/)]));
    expect(runs[0]!.progress).toHaveLength(2);
    for (const r of runs.slice(1)) {
      expect(r.progress).toEqual(runs[0]!.progress);
      expect(paramsHex(r.params)).toEqual(paramsHex(runs[0]!.params));
    }
  }, 60_000);

  const faultyTask = (id: string) => JSON.stringify(make(id).sampleTasks(4, createRng(1).fork('tasks', 0))[FAULTY_TASK]);

  it.each([1, 2])('a task whose env throws stops training with an error naming the task (%i workers)', async (workers) => {
    const cfg = resolveConfig('FaultyThrow-v0', 'tiny', { iterations: 2 });
    const out = tmp();
    const err = await train(cfg, { out, workers, envModules: [FAULTY_ENVS] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(trainingStop(err)).toEqual({ iteration: 1, out, iterations: 2, checkpoint: null, removed: true });
    expect(trainingStop(new Error('not from train'))).toBeUndefined();
    const e = err as TaskFailedError;
    expect(e.item).toBe(FAULTY_TASK);
    expect(e.phase).toBe('sampling');
    expect(e.message).toContain(`task ${FAULTY_TASK + 1} of 4 ${faultyTask('FaultyThrow-v0')}`); // counted from 1
    expect(e.message).toContain('injected fault');
    if (workers > 1) expect(e.message).toContain('worker 1');
  }, 30_000);

  it('a worker that dies stops training with an error naming the task, without hanging', async () => {
    const cfg = resolveConfig('FaultyExit-v0', 'tiny', { iterations: 2 });
    const out = tmp();
    const err = await train(cfg, { out, workers: 2, envModules: [FAULTY_ENVS] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    const e = err as TaskFailedError;
    expect(e.item).toBe(FAULTY_TASK);
    expect(e.message).toContain(`task ${FAULTY_TASK + 1} of 4 ${faultyTask('FaultyExit-v0')}`);
    expect(e.message).toMatch(/worker 1.*exited unexpectedly with code 7/);
    // Nothing trained: the files the run wrote are removed (the directory was there before).
    expect(readdirSync(out)).toEqual([]);
  }, 30_000);

  it('a worker that cannot start (an env module that throws on import) fails at once', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 1 });
    const broken = join(tmp(), 'throws-on-import.mjs');
    writeFileSync(broken, "throw new Error('this module cannot be imported');\n");
    await expect(train(cfg, { out: tmp(), workers: 2, envModules: [broken] })).rejects.toThrow(/worker \d \(init\).*this module cannot be imported/);
  }, 30_000);
});
