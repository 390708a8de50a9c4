import { beforeAll, expect, it } from 'vitest';
import { formatFigure, formatFigureLike } from '../../src/evaluation.ts';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { Resvg, initWasm } from '@resvg/resvg-wasm';
import { createRequire } from 'node:module';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig } from '../../src/config.ts';
import { train } from '../../agents/trainer.ts';
import { compareMethods, comparisonMarkdown, gapByTaskGroup, pairedDifference, type Comparison } from '../../agents/compare.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { SineRegressionEnv } from '../../envs/sine-regression.ts';
import { register } from '../../envs/index.ts';
import { createRng } from '../../src/rng.ts';
import { methodLabel } from '../../scripts/compare.ts';
import { expectUserError, metarlHere } from '../helpers/cli.ts';

const BIN = join(__dirname, '..', '..', 'bin', 'metarl.mjs');
const dir = mkdtempSync(join(tmpdir(), 'metarl-compare-'));

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
  for (const algo of ['maml-trpo', 'pretrained', 'oracle'] as const) {
    await train(resolveConfig('Navigation2D-v0', 'tiny', { algo, iterations: 1 }), { out: join(dir, algo) });
  }
}, 60_000);

it('compare writes results.json, results.md, figure.svg and figure.png that agree', async () => {
  const out = join(dir, 'cmp');
  const runs = `maml=${join(dir, 'maml-trpo')},pretrained=${join(dir, 'pretrained')},oracle=${join(dir, 'oracle')}`;
  const r = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', runs, '--random', '--tasks', '3', '--steps', '2', '--episodes', '4', '--lr', 'random=0.05', '--out', out], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Comparison;
  expect(res.methods.map((m) => m.name)).toEqual(['maml', 'pretrained', 'oracle', 'random']);
  expect(res.methods.find((m) => m.name === 'random')!.lr).toBe(0.05);
  expect(res.methods.find((m) => m.name === 'oracle')!.steps).toHaveLength(1);
  for (const m of res.methods.filter((x) => x.name !== 'oracle')) expect(m.steps.map((s) => s.step)).toEqual([0, 1, 2]);
  for (const m of res.methods) for (const s of m.steps) expect(s.perTask).toHaveLength(3);
  // Same held-out tasks and episode streams for every method: the per-task returns differ only by policy.
  const [maml, pre, oracle] = res.methods;
  const gap = (maml!.steps[1]!.mean - pre!.steps[1]!.mean) / (oracle!.steps[0]!.mean - pre!.steps[1]!.mean);
  expect(res.gapClosedAfterOneStep).toBeCloseTo(gap, 10);

  const md = readFileSync(join(out, 'results.md'), 'utf8');
  for (const m of res.methods) {
    const row = md.split('\n').find((l) => l.startsWith(`| ${m.name} |`));
    expect(row, m.name).toBeDefined();
    for (const s of m.steps) expect(row).toContain(`${formatFigure(s.mean)} ± ${formatFigureLike(s.sem, s.mean)}`); // as evaluate prints them
  }
  expect(md).toContain(`Gap closed after one step`);
  expect(md).toContain(res.gapClosedAfterOneStep!.toFixed(3));
  // The paired MAML − pretrained line agrees with the per-task returns.
  expect(res.mamlMinusPretrained).toHaveLength(3);
  for (const p of res.mamlMinusPretrained!) {
    const d = maml!.steps[p.step]!.perTask.map((v, i) => v - pre!.steps[p.step]!.perTask[i]!);
    expect(p.mean).toBeCloseTo(d.reduce((a, b) => a + b, 0) / d.length, 10);
    expect(p.better).toBe(d.filter((x) => x > 0).length);
    expect(md).toContain(`step ${p.step}: ${p.mean.toFixed(2)} ± ${p.sem.toFixed(2)} (${p.better}/3 tasks better)`);
  }

  const svg = readFileSync(join(out, 'figure.svg'), 'utf8');
  const require = createRequire(import.meta.url);
  await initWasm(readFileSync(require.resolve('@resvg/resvg-wasm/index_bg.wasm')));
  const parsed = new Resvg(svg); // throws on malformed SVG
  expect(parsed.width).toBeGreaterThan(100);
  parsed.free();
  for (const label of ['MAML', 'pretrained', 'oracle', 'random init', 'number of gradient steps', 'average return']) expect(svg).toContain(label);
  expect(svg.match(/<polyline/g)).toHaveLength(3); // oracle is a dashed reference line
  const png = PNG.sync.read(readFileSync(join(out, 'figure.png')));
  expect(png.width).toBeGreaterThan(500);
  expect(png.height).toBeGreaterThan(300);
  // Not blank: some pixels are dark (text, axes) and some coloured (the lines).
  let dark = 0;
  let coloured = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [R, G, B] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    if (R + G + B < 150) dark++;
    if (Math.max(R, G, B) - Math.min(R, G, B) > 100) coloured++;
  }
  expect(dark).toBeGreaterThan(1000);
  expect(coloured).toBeGreaterThan(1000);
}, 120_000);

it('pairedDifference: hand-computed mean, s.e.m. and count', () => {
  const st = (perTask: number[]) => ({ step: 0, mean: 0, sem: 0, perTask });
  // Differences 1, 3, -1: mean 1, sample variance 4, s.e.m. sqrt(4/3).
  const [p] = pairedDifference([st([2, 5, 0])], [st([1, 2, 1])]);
  expect(p!.mean).toBeCloseTo(1, 12);
  expect(p!.sem).toBeCloseTo(Math.sqrt(4 / 3), 12);
  expect(p!.better).toBe(2);
  expect(p!.tasks).toBe(3);
  expect(() => pairedDifference([st([1, 2])], [st([1])])).toThrow(/2 and 1 tasks/);
});

it('gapByTaskGroup: hand-computed gap per distinct task; null for a continuous task space', () => {
  const f = { direction: 1 };
  const b = { direction: -1 };
  // Forward tasks 0 and 2: MAML 8, pretrained 0, oracle 10 → 0.8. Backward task 1: MAML 2, pretrained −2, oracle 6 → 0.5.
  const g = gapByTaskGroup([f, b, f], [6, 2, 10], [-1, -2, 1], [9, 6, 11]);
  expect(g).toEqual([
    { task: f, tasks: 2, maml1: 8, pretrained1: 0, oracle: 10, gap: 0.8 },
    { task: b, tasks: 1, maml1: 2, pretrained1: -2, oracle: 6, gap: 0.5 },
  ]);
  // Equal oracle and pretrained: no gap to close.
  expect(gapByTaskGroup([f, b, b], [1, 1, 1], [0, 0, 0], [0, 1, 1])![0]!.gap).toBeNull();
  // One distinct task, more than four, or no task repeated: no grouping.
  expect(gapByTaskGroup([f, f], [1, 2], [0, 0], [3, 3])).toBeNull();
  expect(gapByTaskGroup([f, b], [1, 2], [0, 0], [3, 3])).toBeNull();
  const goals = [0, 1, 2, 3, 4].map((x) => ({ goal: [x, 0] }));
  expect(gapByTaskGroup(goals, [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1])).toBeNull();
  expect(() => gapByTaskGroup([f, b], [1], [0, 0], [1, 1])).toThrow(/2 tasks but 1, 2 and 2 returns/);
});

it('compare rejects a run of another env or a mislabelled oracle with exit code 2', async () => {
  const r = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', `maml=${join(dir, 'oracle')}`, '--out', join(dir, 'x')], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('oracle run');
  const r2 = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', 'maml', '--out', join(dir, 'x')], { encoding: 'utf8' });
  expect(r2.status).toBe(2);
  expect(r2.stderr).toContain('--runs');
  // Swapped labels would turn the paired difference and the gap around.
  const swapped = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', `maml=${join(dir, 'pretrained')},pretrained=${join(dir, 'maml-trpo')}`, '--out', join(dir, 'x')], { encoding: 'utf8' });
  expect(swapped.status).toBe(2);
  expect(swapped.stderr).toContain('--runs maml: is a pretrained run; name it pretrained');
  const asPretrained = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', `pretrained=${join(dir, 'maml-trpo')}`, '--out', join(dir, 'x')], { encoding: 'utf8' });
  expect(asPretrained.status).toBe(2);
  expect(asPretrained.stderr).toContain('--runs pretrained: is a run of algo maml-trpo, not trained with --algo pretrained');
  for (const [lr, message] of [['abc', 'must be a number > 0 (got "abc")'], ['-0.1', 'must be > 0 (got "-0.1")'], ['0x10', 'must be a number > 0 (got "0x10")']]) {
    expectUserError(await metarlHere('compare', '--env', 'Navigation2D-v0', '--random', '--lr', `random=${lr}`, '--out', join(dir, 'x')), `--lr random: ${message}`);
  }
}, 60_000);

it('compare --task-file: the seed\'s own tasks, given as a file, give the same per-task returns, and the file is recorded', () => {
  const out = join(dir, 'cmp'); // written by the first test: 3 tasks drawn from the default seed
  const drawn = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Comparison;
  const tasks = new Navigation2DEnv().sampleTasks(3, createRng(20170309).fork('evaluate').fork('tasks'));
  // results.json records the held-out tasks in the order of the per-task returns; 2D goals are continuous, so no grouping.
  expect(drawn.taskList).toEqual(tasks);
  expect(drawn.gapByTask).toBeNull();
  const file = join(dir, 'tasks.json');
  writeFileSync(file, JSON.stringify(tasks));
  const out2 = join(dir, 'cmp-file');
  const runs = `maml=${join(dir, 'maml-trpo')},oracle=${join(dir, 'oracle')}`;
  const r = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', runs, '--task-file', file, '--steps', '2', '--episodes', '4', '--out', out2], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const res = JSON.parse(readFileSync(join(out2, 'results.json'), 'utf8')) as Comparison;
  expect(res.taskFile).toBe(file);
  expect(res.tasks).toBe(3);
  for (const name of ['maml', 'oracle']) {
    expect(res.methods.find((m) => m.name === name)!.steps).toEqual(drawn.methods.find((m) => m.name === name)!.steps);
  }
  expect(readFileSync(join(out2, 'results.md'), 'utf8')).toContain(`tasks from ${file}`);
  const bad = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', runs, '--task-file', file, '--tasks', '3', '--out', join(dir, 'y')], { encoding: 'utf8' });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('cannot be combined with --task-file');
}, 120_000);

it('compare --batch-timesteps measures every method as evaluate --batch-timesteps does, and records the budget', () => {
  const maml = join(dir, 'maml-trpo');
  const out = join(dir, 'cmp-budget');
  const args = ['--tasks', '3', '--steps', '2', '--episodes', '4', '--batch-timesteps', '1000'];
  const r = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', `maml=${maml},oracle=${join(dir, 'oracle')}`, ...args, '--out', out], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Comparison;
  expect(res.batchTimesteps).toBe(1000);
  expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('batches of at least 1000 env steps from 4 env slots in lockstep');
  const evalJson = join(dir, 'eval-budget.json');
  const e = spawnSync(process.execPath, [BIN, 'evaluate', '--run', maml, ...args, '--json', evalJson], { encoding: 'utf8', timeout: 120_000 });
  expect(e.status, e.stderr).toBe(0);
  const ev = JSON.parse(readFileSync(evalJson, 'utf8')) as { steps: { mean: number; sem: number }[]; perTask: number[][] };
  const m = res.methods.find((x) => x.name === 'maml')!;
  expect(m.steps.map((s) => [s.mean, s.sem])).toEqual(ev.steps.map((s) => [s.mean, s.sem]));
  expect(m.steps.map((s) => s.perTask)).toEqual(ev.perTask);
  // The budget changes the measurement: the fixed-count comparison of the same tasks differs.
  const fixed = JSON.parse(readFileSync(join(dir, 'cmp', 'results.json'), 'utf8')) as Comparison;
  expect(m.steps[1]!.perTask).not.toEqual(fixed.methods.find((x) => x.name === 'maml')!.steps[1]!.perTask);
}, 240_000);

it('compare on a supervised env: every method on evaluate\'s tasks and support sets, query MSE in the table and figure', async () => {
  const sdir = mkdtempSync(join(tmpdir(), 'metarl-compare-sine-'));
  for (const algo of ['maml', 'pretrained'] as const) {
    await train(resolveConfig('SineRegression-v0', 'tiny', { algo, iterations: 2 }), { out: join(sdir, algo) });
  }
  const out = join(sdir, 'cmp');
  const runs = `maml=${join(sdir, 'maml')},pretrained=${join(sdir, 'pretrained')}`;
  const r = spawnSync(process.execPath, [BIN, 'compare', '--env', 'SineRegression-v0', '--runs', runs, '--random', '--tasks', '6', '--steps', '2', '--shots', '5', '--lr', 'pretrained=0.02', '--out', out], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Comparison;
  expect(res.metric).toBe('mse');
  expect(res.episodes).toBe(5); // --shots
  expect(res.gapClosedAfterOneStep).toBeNull();
  expect(res.methods.map((m) => [m.name, m.algo, m.lr])).toEqual([['maml', 'maml', 0.01], ['pretrained', 'pretrained', 0.02], ['random', 'random', 0.01]]);
  // The MAML row is exactly what `metarl evaluate` gives for the run on the same seed, tasks, shots and steps.
  const e = spawnSync(process.execPath, [BIN, 'evaluate', '--run', join(sdir, 'maml'), '--tasks', '6', '--steps', '2', '--shots', '5', '--json', join(sdir, 'e.json')], { encoding: 'utf8', timeout: 120_000 });
  expect(e.status, e.stderr).toBe(0);
  const ev = JSON.parse(readFileSync(join(sdir, 'e.json'), 'utf8')) as { steps: { mean: number }[]; perTask: number[][] };
  expect(res.methods[0]!.steps.map((s) => s.mean)).toEqual(ev.steps.map((s) => s.mean));
  expect(res.methods[0]!.steps.map((s) => s.perTask)).toEqual(ev.perTask);
  const md = readFileSync(join(out, 'results.md'), 'utf8');
  expect(md).toContain('K = 5 support examples per task; mean ± s.e.m. of the query MSE');
  for (const m of res.methods) expect(md).toContain(`| ${m.name} | ${m.lr} | ${m.steps[0]!.mean.toFixed(3)} ± ${m.steps[0]!.sem.toFixed(3)} |`);
  expect(readFileSync(join(out, 'figure.svg'), 'utf8')).toContain('query MSE');
  // MAML − pretrained, paired over the tasks; "better" is a lower MSE.
  const maml = res.methods[0]!.steps;
  const pre = res.methods[1]!.steps;
  expect(res.mamlMinusPretrained!.map((p) => p.step)).toEqual([0, 1, 2]);
  for (const [k, p] of res.mamlMinusPretrained!.entries()) {
    expect(p.mean).toBeCloseTo(maml[k]!.mean - pre[k]!.mean, 10);
    expect(p.better).toBe(maml[k]!.perTask.filter((v, i) => v < pre[k]!.perTask[i]!).length);
  }
  expect(md).toContain('MAML − pretrained of the query MSE (lower is better), paired over tasks (mean ± s.e.m.): step 0: ');
  const bad = spawnSync(process.execPath, [BIN, 'compare', '--env', 'SineRegression-v0', '--runs', runs, '--episodes', '5', '--out', join(sdir, 'c2')], { encoding: 'utf8', timeout: 120_000 });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('--episodes');
  const nav = spawnSync(process.execPath, [BIN, 'compare', '--env', 'Navigation2D-v0', '--runs', `maml=${join(dir, 'maml-trpo')}`, '--shots', '5', '--out', join(sdir, 'c3')], { encoding: 'utf8', timeout: 120_000 });
  expect(nav.status).toBe(2);
  expect(nav.stderr).toContain('--shots');
}, 180_000);

it('a comparison stopped part-way picks up from the methods already done, and only from results of the same inputs', () => {
  const partialDir = join(dir, 'partial-lib');
  const base = { env: 'Navigation2D-v0', tasks: 3, steps: 1, episodes: 4, seed: 5, partialDir };
  const methods = [{ name: 'maml', run: join(dir, 'maml-trpo') }, { name: 'random' }];
  const reused: string[] = [];
  const first = compareMethods({ ...base, methods, onReuse: (m) => reused.push(m) });
  expect(reused).toEqual([]);
  expect(readdirSync(partialDir).sort()).toEqual(['maml.json', 'random.json']);

  // A marked result with the same inputs is read back, not evaluated again.
  const file = join(partialDir, 'maml.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  doc.result.steps[0].mean = 12345;
  writeFileSync(file, JSON.stringify(doc));
  const again = compareMethods({ ...base, methods, onReuse: (m) => reused.push(m) });
  expect(reused).toEqual(['maml', 'random']);
  expect(again.methods[0]!.steps[0]!.mean).toBe(12345);
  expect(again.methods[1]).toEqual(first.methods[1]);
  // The same weights in another directory: read back, under the directory given now.
  const moved = join(dir, 'maml-moved');
  cpSync(join(dir, 'maml-trpo'), moved, { recursive: true });
  const fromMoved = compareMethods({ ...base, methods: [{ name: 'maml', run: moved }, methods[1]!] });
  expect([fromMoved.methods[0]!.steps[0]!.mean, fromMoved.methods[0]!.run]).toEqual([12345, moved]);

  // Another α (or run, tasks, protocol) does not match: evaluated again, giving the true figure.
  const otherLr = compareMethods({ ...base, methods: [{ ...methods[0]!, lr: 0.05 }, methods[1]!] });
  expect(otherLr.methods[0]!.steps[0]!.mean).toBe(first.methods[0]!.steps[0]!.mean);
  // Nor does a result computed on another backend (or version): its floats may differ.
  compareMethods({ ...base, methods }); // maml.json holds the default α's result again
  const marked = JSON.parse(readFileSync(file, 'utf8'));
  expect(marked.key.lr).toBe(first.methods[0]!.lr);
  marked.result.steps[0].mean = 12345;
  marked.key.versions.backend = 'cpu';
  writeFileSync(file, JSON.stringify(marked));
  expect(compareMethods({ ...base, methods }).methods[0]!.steps[0]!.mean).toBe(first.methods[0]!.steps[0]!.mean);
  // A file cut off by a crash is evaluated again too.
  writeFileSync(join(partialDir, 'random.json'), '{"key":');
  expect(compareMethods({ ...base, methods }).methods[1]).toEqual(first.methods[1]);
});

it('the compare command keeps partial results while it runs and removes them when done', () => {
  const out = join(dir, 'cmp-partial');
  const args = [BIN, 'compare', '--runs', `maml=${join(dir, 'maml-trpo')}`, '--random', '--tasks', '3', '--steps', '1', '--episodes', '4', '--seed', '5', '--out', out];
  // Results of the same inputs left by a stopped run of this command: reused.
  mkdirSync(join(out, 'partial'), { recursive: true });
  cpSync(join(dir, 'partial-lib', 'maml.json'), join(out, 'partial', 'maml.json'));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain(`compare: each method's result is kept in ${join(out, 'partial')} as soon as it is done; stopped, the same command goes on from there`);
  expect(r.stderr).toContain(`compare: maml: reusing the result in ${join(out, 'partial', 'maml.json')}`);
  expect(r.stderr).not.toContain('random: reusing');
  expect(existsSync(join(out, 'partial'))).toBe(false);
  expect(existsSync(join(out, 'results.json'))).toBe(true);
});

it('the figure legend spells known methods as usual, whatever the case given, and other names as given', () => {
  expect(['maml', 'Meta-sgd', 'FOMAML', 'protonet', 'random', 'my-variant'].map(methodLabel)).toEqual(['MAML', 'Meta-SGD', 'FOMAML', 'ProtoNets', 'random init', 'my-variant']);
  // Names every object has are names like any other (found by an edge-input trial: compare ended in a TypeError).
  expect(['constructor', '__proto__', 'toString'].map(methodLabel)).toEqual(['constructor', '__proto__', 'toString']);
});

it('the table says when the oracle does not beat the pretrained policy, where the gap closed measures no gap', () => {
  const s = (step: number, mean: number) => ({ step, mean, sem: 0, perTask: [mean, mean] });
  const method = (name: string, algo: string, means: number[]) => ({ name, run: `/r/${name}`, algo, lr: 0.1, iteration: 1, steps: means.map((m, k) => s(k, m)) });
  const base = { env: 'HalfCheetahDir-v0', tasks: 2, episodes: 20, seed: 1, mamlMinusPretrained: null, taskList: [{ direction: 1 }, { direction: -1 }], gapByTask: null, metric: 'return' as const };
  const weak: Comparison = { ...base, methods: [method('maml', 'maml-trpo', [0, 30]), method('pretrained', 'pretrained', [0, 10]), method('oracle', 'oracle', [5])], gapClosedAfterOneStep: (30 - 10) / (5 - 10) };
  expect(comparisonMarkdown(weak)).toContain('Gap closed after one step, (MAML₁ − pretrained₁)/(oracle − pretrained₁): -4.000 (the oracle does not beat pretrained₁ here, so there is no gap to close: train the oracle longer)');
  const fine: Comparison = { ...weak, methods: [weak.methods[0]!, weak.methods[1]!, method('oracle', 'oracle', [50])], gapClosedAfterOneStep: 0.5 };
  expect(comparisonMarkdown(fine)).toContain('(oracle − pretrained₁): 0.500\n');
  const grouped: Comparison = { ...fine, gapByTask: [{ task: { direction: 1 }, tasks: 1, maml1: 3, pretrained1: 2, oracle: 1, gap: -1 }] };
  expect(comparisonMarkdown(grouped)).toContain('{"direction":1} (1 task): MAML₁ 3.00, pretrained₁ 2.00, oracle 1.00, gap -1.000 (oracle not above pretrained₁: no gap)');
});

it('an oracle run whose env has no oracle view (any more) is refused before any method is evaluated', () => {
  const proto = Navigation2DEnv.prototype as { taskVector?: unknown };
  const saved = proto.taskVector;
  delete proto.taskVector; // the env as an edited module might register it
  const evaluated: string[] = [];
  try {
    expect(() =>
      compareMethods({
        env: 'Navigation2D-v0',
        methods: [{ name: 'maml', run: join(dir, 'maml-trpo') }, { name: 'oracle', run: join(dir, 'oracle') }],
        tasks: 2,
        steps: 1,
        episodes: 2,
        seed: 1,
        onProgress: (name) => evaluated.push(name),
      }),
    ).toThrow(`methods[1].run: cannot be evaluated: Navigation2D-v0 has no oracle view: the oracle sees the task through the env's taskVector(task) and taskDim, which it does not define (got "${join(dir, 'oracle')}")`);
  } finally {
    proto.taskVector = saved;
  }
  expect(evaluated).toEqual([]); // maml was evaluated first, then the comparison failed
});

it('random init alone on a supervised env of one\'s own: the preset by the env\'s kind, not its name', () => {
  // Found by a library-API trial: the preset was picked by the env's name, so an env of one's own got the RL one and was refused.
  class MySine extends SineRegressionEnv {
    override readonly id = 'MySineCompare-v0';
  }
  register({ id: 'MySineCompare-v0', factory: () => new MySine(), description: 'sine regression under another id' });
  const own = compareMethods({ env: 'MySineCompare-v0', methods: [{ name: 'random' }], tasks: 3, steps: 1, seed: 5 });
  const builtIn = compareMethods({ env: 'SineRegression-v0', methods: [{ name: 'random' }], tasks: 3, steps: 1, seed: 5 });
  expect(own.metric).toBe('mse');
  expect(own.methods[0]!.steps).toEqual(builtIn.methods[0]!.steps);
});

it('a step size for a method that takes no gradient steps is refused (found by a supervised-path trial: ignored)', () => {
  expect(() => compareMethods({ env: 'Navigation2D-v0', methods: [{ name: 'oracle', run: join(dir, 'oracle'), lr: 0.1 }], tasks: 2, steps: 1, episodes: 2, seed: 1 })).toThrow(
    'methods[0].lr: does not apply to an oracle run, which is evaluated without adaptation (got 0.1)',
  );
});

it('the commands name the flag at fault: random init named twice, an RL preset on a supervised env (found by a supervised-path trial)', async () => {
  const { cmdCompare } = await import('../../scripts/compare.ts');
  const { cmdTrain } = await import('../../scripts/commands.ts');
  await expect(cmdCompare(['--runs', `random=${join(dir, 'maml-trpo')}`, '--random', '--out', join(dir, 'r2')], () => {}, () => 'wasm')).rejects.toThrow(
    '--runs: names random init, which --random adds: give the run another name, or leave out --random (got "random")',
  );
  for (const preset of ['navigation', 'cheetah']) {
    await expect(cmdTrain(['--env', 'SineRegression-v0', '--preset', preset, '--out', join(dir, `sine-${preset}`)])).rejects.toThrow(
      `--preset: is for the RL envs, and SineRegression-v0 is a supervised env: use sine (its own), or tiny for a quick run (got "${preset}")`,
    );
  }
  expect(existsSync(join(dir, 'r2'))).toBe(false);
});
