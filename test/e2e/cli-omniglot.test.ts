// The Omniglot commands end to end on synthetic data in the real layouts (no ../shared needed).
import { expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticOmniglotFiles, syntheticOneShotRuns, zipFiles } from '../helpers/synthetic-omniglot.ts';

const BIN = join(__dirname, '..', '..', 'bin', 'metarl.mjs');

it('train (protonet), evaluate and oneshot on a synthetic background set and synthetic one-shot runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metarl-cli-omni-'));
  writeFileSync(join(dir, 'images_background.zip'), zipFiles(syntheticOmniglotFiles({ characters: 30, drawers: 20, layout: 'alphabets' })));
  writeFileSync(join(dir, 'one_shot_runs.zip'), zipFiles(syntheticOneShotRuns(4, 5).files));
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ supervised: { convFilters: 8 }, sampling: { metaBatchSize: 4 } }));
  const env = { ...process.env, METARL_OMNIGLOT: join(dir, 'images_background.zip') };
  const run = join(dir, 'run');
  const sh = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 180_000 });
  const t = sh('train', '--env', 'Omniglot5Way1Shot-v0', '--algo', 'protonet', '--iterations', '3', '--config', join(dir, 'cfg.json'), '--out', run);
  expect(t.status, t.stderr).toBe(0);
  expect(t.stdout).toContain('| linear head (unused) | nearest prototype |');
  const e = sh('evaluate', '--run', run, '--tasks', '5', '--json', join(dir, 'eval.json'));
  expect(e.status, e.stderr).toBe(0);
  expect(e.stdout).toContain('query accuracy %');
  const doc = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'));
  expect(doc.metric).toBe('accuracy');
  expect(doc.steps).toHaveLength(1); // prototypical networks do not adapt
  // compare on a classification env: the same tasks and support sets as evaluate, accuracy in the table and figure.
  const c = sh('compare', '--env', 'Omniglot5Way1Shot-v0', '--runs', `protonet=${run}`, '--random', '--tasks', '5', '--steps', '1', '--out', join(dir, 'cmp'));
  expect(c.status, c.stderr).toBe(0);
  const cmp = JSON.parse(readFileSync(join(dir, 'cmp', 'results.json'), 'utf8'));
  expect(cmp.metric).toBe('accuracy');
  expect(cmp.methods[0].steps.map((x: { mean: number }) => x.mean)).toEqual([doc.steps[0].mean]);
  expect(cmp.methods[1].name).toBe('random');
  expect(readFileSync(join(dir, 'cmp', 'results.md'), 'utf8')).toContain('K = 1 support examples per class; mean ± s.e.m. of the query accuracy (%)');
  expect(cmp.episodes).toBe(1); // 1-shot: the env's own K, not supervised.shots (10)
  expect(readFileSync(join(dir, 'cmp', 'figure.svg'), 'utf8')).toContain('query accuracy (%)');
  const o = sh('oneshot', '--run', run, '--data', join(dir, 'one_shot_runs.zip'), '--json', join(dir, 'oneshot.json'));
  expect(o.status, o.stderr).toBe(0);
  const res = JSON.parse(readFileSync(join(dir, 'oneshot.json'), 'utf8'));
  expect(res.total).toBe(20);
  expect(o.stdout).toContain(`error rate ${(100 * res.errorRate).toFixed(2)} %`);
  const bad = sh('oneshot', '--run', run, '--data', join(dir, 'missing.zip'));
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('missing.zip');
}, 240_000);
