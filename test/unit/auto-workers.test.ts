/**
 * `workers: 'auto'` (the command line's default): one per core, but one for regression envs and for
 * RL runs too short to win back a worker's start-up (agents/trainer.ts, defaultWorkers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AUTO_WORKERS_MIN_STEPS, defaultWorkers, runEnvSteps, train } from '../../agents/trainer.ts';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig } from '../../src/config.ts';
import { make } from '../../envs/index.ts';

const root = mkdtempSync(join(tmpdir(), 'metarl-auto-workers-'));
beforeAll(async () => {
  await initBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('counts the env steps a run samples: every task\'s batch before each inner step and one after, one batch for the baselines', () => {
  const nav = make('Navigation2D-v0');
  const tiny = resolveConfig('Navigation2D-v0', 'tiny');
  expect(runEnvSteps(tiny, nav, 3)).toBe(3 * 4 * 5 * 100 * 2);
  expect(runEnvSteps({ ...tiny, adaptation: { ...tiny.adaptation, numInnerSteps: 3 } }, nav, 1)).toBe(4 * 5 * 100 * 4);
  expect(runEnvSteps({ ...tiny, algo: 'pretrained' }, nav, 1)).toBe(4 * 5 * 100);
  const cheetah = make('HalfCheetahVel-v0');
  expect(runEnvSteps(resolveConfig('HalfCheetahVel-v0'), cheetah, 1)).toBe(40 * 20 * cheetah.maxEpisodeSteps * 2);
});

it('is one worker for a short RL run and for regression, one per core otherwise', () => {
  const nav = make('Navigation2D-v0');
  const tiny = resolveConfig('Navigation2D-v0', 'tiny');
  expect(defaultWorkers(nav, tiny, 3)).toBe(1);
  // The boundary: up to AUTO_WORKERS_MIN_STEPS steps one worker, above it one per core.
  const perIteration = runEnvSteps(tiny, nav, 1);
  const last = Math.floor(AUTO_WORKERS_MIN_STEPS / perIteration);
  expect(defaultWorkers(nav, tiny, last)).toBe(1);
  expect(defaultWorkers(nav, tiny, last + 1)).toBe(availableParallelism());
  expect(defaultWorkers(nav, resolveConfig('Navigation2D-v0'), 1)).toBe(availableParallelism());
  expect(defaultWorkers(nav)).toBe(availableParallelism());
  expect(defaultWorkers(make('SineRegression-v0'), resolveConfig('SineRegression-v0'), 1000)).toBe(1);
});

it('says why it chose one worker, from the iterations a resumed run has left', async () => {
  const out = join(root, 'tiny');
  const lines: string[] = [];
  const cfg = resolveConfig('Navigation2D-v0', 'tiny', { iterations: 1 });
  await train(cfg, { out, workers: 'auto', log: (l) => lines.push(l) });
  const start = lines.find((l) => l.startsWith('training '));
  const cores = availableParallelism();
  expect(start).toMatch(cores > 1 ? /\(1 worker: auto, as the run samples 4000 env steps, at most the 40000 up to which one worker is as fast\)$/ : /\(1 worker\)$/);
  lines.length = 0;
  await train({ ...cfg, iterations: 3 }, { out, resume: true, workers: 'auto', log: (l) => lines.push(l) });
  expect(lines.find((l) => l.startsWith('training '))).toMatch(cores > 1 ? /as the run samples 8000 env steps/ : /\(1 worker\)$/);
}, 60_000);
