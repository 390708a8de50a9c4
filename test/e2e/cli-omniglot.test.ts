// The Omniglot commands end to end on synthetic data in the real layouts (no ../shared needed).
import { expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
  const e = sh('evaluate', '--run', run, '--tasks', '5', '--steps', '2', '--json', join(dir, 'eval.json'));
  expect(e.status, e.stderr).toBe(0);
  expect(e.stderr).toContain('protonet run: scored by the nearest prototype, without gradient steps (step 0 only)');
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
  expect(o.stdout).toContain('protonet, nearest prototype');
  const bad = sh('oneshot', '--run', run, '--data', join(dir, 'missing.zip'));
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('missing.zip');
  // ProtoNets take no inner steps: noted and scored as they are, as evaluate does (found by a README trial: oneshot refused, evaluate noted); a background set is not the one-shot runs.
  const steps = sh('oneshot', '--run', run, '--steps', '3', '--data', join(dir, 'one_shot_runs.zip'));
  expect(steps.status, steps.stderr).toBe(0);
  expect(steps.stderr).toContain('protonet run: classified by the nearest prototype, without gradient steps (--steps is not used)');
  expect(steps.stdout).toContain(`error rate ${(100 * res.errorRate).toFixed(2)} %`);
  const notRuns = sh('oneshot', '--run', run, '--data', join(dir, 'images_background.zip'));
  expect(notRuns.status, notRuns.stderr).toBe(2);
  expect(notRuns.stderr).toMatch(/^metarl: --data: is not the official one_shot_runs.zip: /m);
  expect(notRuns.stderr).not.toContain('internal error');
  // The env fixes its support set (1 shot, 15 queries per class): another K is refused, not ignored.
  const shots = sh('evaluate', '--run', run, '--tasks', '5', '--shots', '5');
  expect(shots.status).toBe(2);
  expect(shots.stderr).toContain('--shots: does not apply to Omniglot5Way1Shot-v0: its tasks fix their support set (K = 1 per class, 15 queries per class)');
  const cshots = sh('compare', '--env', 'Omniglot5Way1Shot-v0', '--runs', `protonet=${run}`, '--tasks', '5', '--shots', '5', '--out', join(dir, 'cmp2'));
  expect(cshots.status).toBe(2);
  expect(cshots.stderr).toContain('--shots: does not apply to Omniglot5Way1Shot-v0');
  writeFileSync(join(dir, 'cfg5.json'), JSON.stringify({ supervised: { convFilters: 8, shots: 5 }, sampling: { metaBatchSize: 4 } }));
  const t5 = sh('train', '--env', 'Omniglot5Way1Shot-v0', '--iterations', '1', '--config', join(dir, 'cfg5.json'), '--out', join(dir, 'run5'));
  expect(t5.status).toBe(2);
  expect(t5.stderr).toContain('supervised.shots: does not apply to Omniglot5Way1Shot-v0');
  expect(e.stderr).toContain('on 5 held-out tasks, K = 1 support example per class, nearest prototype');
  expect(doc.shots).toBe(1);
}, 240_000);

it('Omniglot: a 5-way model is refused for the 20-way one-shot runs; data that cannot be used is exit 2, and check finds a test split too small', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metarl-cli-omni-data-'));
  writeFileSync(join(dir, 'images_background.zip'), zipFiles(syntheticOmniglotFiles({ characters: 30, drawers: 20, layout: 'alphabets' })));
  writeFileSync(join(dir, 'one_shot_runs.zip'), zipFiles(syntheticOneShotRuns(4, 5).files));
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ supervised: { convFilters: 8 }, sampling: { metaBatchSize: 2 } }));
  const sh = (data: string, ...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, METARL_OMNIGLOT: data }, timeout: 180_000 });
  const data = join(dir, 'images_background.zip');
  const run = join(dir, 'fomaml');
  const t = sh(data, 'train', '--env', 'Omniglot5Way1Shot-v0', '--algo', 'fomaml', '--iterations', '1', '--config', join(dir, 'cfg.json'), '--out', run);
  expect(t.status, t.stderr).toBe(0);
  // The run records the data it read; other data is noted by evaluate and refused by a resume.
  const recorded = JSON.parse(readFileSync(join(run, 'checkpoint', 'model.json'), 'utf8')).data;
  expect(recorded).toEqual({ source: data, sha256: createHash('sha256').update(readFileSync(data)).digest('hex') });
  const other = join(dir, 'other.zip');
  writeFileSync(other, zipFiles(syntheticOmniglotFiles({ characters: 30, drawers: 20, layout: 'flat' })));
  const ev2 = sh(other, 'evaluate', '--run', run, '--tasks', '2');
  expect(ev2.status, ev2.stderr).toBe(0);
  expect(ev2.stderr).toContain(`metarl: note: the run was trained on ${data} (sha256 ${recorded.sha256.slice(0, 12)}…), and Omniglot5Way1Shot-v0 now reads ${other}`);
  expect(sh(data, 'evaluate', '--run', run, '--tasks', '2').stderr).not.toContain('note:');
  const resumed = sh(other, 'train', '--resume', '--iterations', '2', '--out', run);
  expect(resumed.status).toBe(2);
  expect(resumed.stderr).toContain(`a resumed run keeps its data (for Omniglot, set METARL_OMNIGLOT to ${data})`);
  const o = sh(data, 'oneshot', '--run', run, '--data', join(dir, 'one_shot_runs.zip'));
  expect(o.status).toBe(2);
  expect(o.stderr).toContain('--run: classifies 5 ways, and the official runs are 20-way');
  writeFileSync(join(dir, 'two.zip'), zipFiles(syntheticOmniglotFiles({ characters: 2, drawers: 20 })));
  // Named, an env without its data is refused (exit 2); unnamed, it is skipped.
  const missing = sh(join(dir, 'nope.zip'), 'check', '--env', 'Omniglot5Way1Shot-v0');
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain('nope.zip');
  // The folder that holds images_background.zip, not the images: that zip is read (found by a
  // README trial: "set METARL_OMNIGLOT to images_background.zip or its folder" was read so).
  const folder = sh(dir, 'check', '--env', 'Omniglot5Way1Shot-v0', '--tasks', '2');
  expect(folder.status, folder.stderr).toBe(0);
  expect(sh(dir, 'evaluate', '--run', run, '--tasks', '2').stderr).not.toContain('note:');
  // One that holds other zips: the message names the file to point at.
  const zips = join(dir, 'zips');
  mkdirSync(zips);
  cpSync(other, join(zips, 'other.zip'));
  const wrong = sh(zips, 'train', '--env', 'Omniglot5Way1Shot-v0', '--iterations', '1', '--out', join(dir, 'folder-run'));
  expect(wrong.status).toBe(2);
  expect(wrong.stderr).toContain(`no PNG images found in ${zips}; it holds other.zip: set METARL_OMNIGLOT to ${join(zips, 'other.zip')}`);
  // Two characters: no test split to draw held-out tasks from.
  const two = join(dir, 'two.zip');
  const c = sh(two, 'check', '--env', 'Omniglot5Way1Shot-v0');
  expect(c.status).toBe(1);
  expect(c.stdout).toContain('heldOutTasks (the test tasks evaluate and compare draw) threw');
  const ev = sh(two, 'evaluate', '--run', run, '--tasks', '2');
  expect(ev.status, ev.stderr).toBe(2);
  expect(ev.stderr).toMatch(/^metarl: the data cannot be used: /m);
  expect(ev.stderr).not.toContain('internal error');
}, 240_000);
