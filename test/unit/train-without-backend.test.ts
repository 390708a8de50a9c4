/**
 * `train` from code without `initBackend`: second-order MAML is refused before anything is logged
 * or written, with what to call (found by a README trial: the run's start was logged, then the
 * learner threw). This file's process never calls initBackend.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { train } from '../../agents/trainer.ts';
import { resolveConfig } from '../../src/config.ts';
import { secondOrderFixInstalled } from '../../src/backend.ts';
import '../../envs/index.ts';

const root = mkdtempSync(join(tmpdir(), 'metarl-nobackend-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it.each([
  ['Navigation2D-v0', 'maml-trpo'],
  ['SineRegression-v0', 'maml'],
])('%s with %s is refused before it logs or writes', async (env, algo) => {
  expect(secondOrderFixInstalled()).toBe(false);
  const out = join(root, `${env}-${algo}`);
  const lines: string[] = [];
  await expect(train(resolveConfig(env, 'tiny', { algo }), { out, log: (l) => lines.push(l) })).rejects.toThrow(`train: ${algo} takes second-order gradients, which tfjs gets wrong without the fix initBackend installs: call \`await initBackend('auto')\``);
  expect(lines).toEqual([]);
  expect(existsSync(out)).toBe(false);
});
