/**
 * `train` from code without `initBackend`: second-order MAML is refused before anything is logged
 * or written, with what to call (found by a README trial: the run's start was logged, then the
 * learner threw). This file's process never calls initBackend.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { train } from '../../agents/trainer.ts';
import { resolveConfig } from '../../src/config.ts';
import { secondOrderFixInstalled } from '../../src/backend.ts';
import { MamlTrpo } from '../../agents/maml-trpo.ts';
import { envFactory } from '../../envs/factory.ts';
import * as tf from '#tfjs';
import '../../envs/index.ts';

const root = mkdtempSync(join(tmpdir(), 'metarl-nobackend-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it.each([
  ['Navigation2D-v0', { algo: 'maml-trpo' }, 'second-order maml-trpo'],
  ['SineRegression-v0', { algo: 'maml' }, 'maml'],
  // Found by a review: anil's inner step is second-order too.
  ['SineRegression-v0', { algo: 'anil' }, 'anil'],
  // Found by a library trial: the exact Fisher-vector product took wrong steps without the fix.
  ['Navigation2D-v0', { algo: 'pretrained', trpo: { fvp: 'exact' } }, 'trpo.fvp "exact"'],
  ['Navigation2D-v0', { algo: 'maml-trpo', adaptation: { firstOrder: true }, trpo: { fvp: 'chain' } }, 'trpo.fvp "chain"'],
])('%s with %j is refused before it logs or writes', async (env, overrides, what) => {
  expect(secondOrderFixInstalled()).toBe(false);
  const out = join(root, `${env}-${what.replace(/\W/g, '')}`);
  const lines: string[] = [];
  await expect(train(resolveConfig(env, 'tiny', overrides), { out, log: (l) => lines.push(l) })).rejects.toThrow(`train: ${what} takes gradients of gradients, which tfjs gets wrong without the fix initBackend installs: call \`await initBackend('auto')\``);
  expect(lines).toEqual([]);
  expect(existsSync(out)).toBe(false);
});

it('MamlTrpo (metarl/browser too) refuses the exact Fisher-vector product without the fix', () => {
  const cfg = resolveConfig('Navigation2D-v0', 'tiny', { algo: 'oracle', trpo: { fvp: 'exact' } });
  expect(() => new MamlTrpo(cfg, envFactory(cfg), [])).toThrow('MamlTrpo: trpo.fvp "exact" needs the tfjs second-order gradient fix; call initBackend() first');
});

it('a first-order run trains on tfjs\'s own backend, and its config.json names that backend, not "none" (found by a library trial)', async () => {
  const out = join(root, 'first-order');
  const { records } = await train(resolveConfig('Navigation2D-v0', 'tiny', { algo: 'pretrained', iterations: 1 }), { out });
  expect(records).toHaveLength(1);
  const backend = (JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { versions: { backend: string } }).versions.backend;
  expect(backend).toBe(tf.getBackend());
  expect(backend).toBe('cpu');
});
