import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expectUserError, metarl, metarlHere } from '../helpers/cli.ts';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { createRng } from '../../src/rng.ts';
import { PNG } from 'pngjs';
import { COMMANDS } from '../../scripts/options.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'metarl.mjs');
const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-cli-'));
const json = (...p: string[]) => JSON.parse(readFileSync(join(...p), 'utf8'));

describe('metarl CLI', () => {
  const run = join(tmp(), 'run');

  it('trains a tiny run and evaluates it with the paper protocol', () => {
    const t = metarl('train', '--env', 'Navigation2D-v0', '--preset', 'tiny', '--iterations', '2', '--out', run);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/\| Navigation2D-v0, last 2 iterations \| before adaptation \| after 1 inner step \|\n\|---\|---\|---\|\n\| mean return \| -?\d+\.\d\d \| -?\d+\.\d\d \|/);
    // A baseline does not adapt in training: one column, not two equal ones.
    const p = metarl('train', '--algo', 'pretrained', '--preset', 'tiny', '--iterations', '1', '--out', join(tmp(), 'pretrained'));
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/\| Navigation2D-v0, last 1 iteration \| pretrained \(no adaptation\) \|\n\|---\|---\|\n\| mean return \| -?\d+\.\d\d \|\n/);
    const progress = readFileSync(join(run, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(progress).toHaveLength(2);
    for (const k of ['iteration', 'returnsBefore', 'returnsAfter', 'kl', 'lineSearchAccepted', 'time']) expect(progress[0]).toHaveProperty(k);
    const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(cfg.config.sampling.metaBatchSize).toBe(4);
    expect(cfg.versions.tfjs).toBe('4.22.0');
    const json = join(run, 'eval.json');
    const e = metarl('evaluate', '--run', run, '--tasks', '3', '--steps', '2', '--episodes', '5', '--json', json);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/\| step 0 \| step 1 \| step 2 \|/);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.env).toBe('Navigation2D-v0');
    expect(doc.tasks).toBe(3);
    expect(doc.steps.map((s: { step: number }) => s.step)).toEqual([0, 1, 2]);
    for (const s of doc.steps) expect(Number.isFinite(s.mean) && s.sem >= 0).toBe(true);
  }, 120_000);

  it('evaluates on tasks read from a file: the tasks the seed draws, given as a file, give the same table', async () => {
    const dir = tmp();
    const drawn = json(run, 'eval.json'); // written by the test above: 3 tasks drawn from the default seed
    const tasks = new Navigation2DEnv().sampleTasks(3, createRng(20170309).fork('evaluate').fork('tasks'));
    const file = join(dir, 'tasks.json');
    writeFileSync(file, JSON.stringify({ source: 'the default seed\'s draw', tasks }));
    const out = join(dir, 'eval-file.json');
    const e = metarl('evaluate', '--run', run, '--task-file', file, '--steps', '2', '--episodes', '5', '--json', out);
    expect(e.code, e.stderr).toBe(0);
    const doc = json(out);
    expect(doc.taskFile).toBe(file);
    expect(doc.tasks).toBe(3);
    expect(doc.steps).toEqual(drawn.steps);
    expect(doc.perTask).toEqual(drawn.perTask);
    // Both record the tasks, in the order of perTask: the seed's draw is the file's list.
    expect(drawn.taskList).toEqual(JSON.parse(JSON.stringify(tasks)));
    expect(doc.taskList).toEqual(drawn.taskList);
    // Other tasks give other returns (the file is really used).
    writeFileSync(file, JSON.stringify([{ goal: [0.5, 0.5] }, { goal: [-0.5, 0.5] }]));
    const e2 = metarl('evaluate', '--run', run, '--task-file', file, '--steps', '0', '--episodes', '5', '--json', out);
    expect(e2.code, e2.stderr).toBe(0);
    expect(json(out).tasks).toBe(2);
    expect(json(out).steps[0].mean).not.toBe(drawn.steps[0].mean);
    // From code (README, "Lower level"): evaluationTasks and the stream createRng(seed).fork('evaluate') give evaluate's numbers.
    const { evaluateAdaptation, GaussianMlpPolicy, initBackend } = await import('../../src/index.ts');
    const { envFactory, evaluationTasks } = await import('../../agents/index.ts');
    await initBackend('wasm', { log: () => {} });
    const ck = loadCheckpoint(run);
    const cfg = ck.meta.config;
    const policy = new GaussianMlpPolicy(ck.meta.obsDim, ck.meta.actDim, cfg.policy);
    const advantages = { ...cfg.advantages, regCoeff: cfg.baseline.regCoeff };
    const here = evaluateAdaptation(policy, ck.params, envFactory(cfg), { tasks: evaluationTasks(envFactory(cfg)(), 3, 20170309), steps: 2, episodes: 5, fastLr: cfg.adaptation.fastLr, advantages, rng: createRng(20170309).fork('evaluate') });
    expect(here.map(({ step, mean, sem }) => ({ step, mean, sem }))).toEqual(drawn.steps);
  }, 120_000);

  it('evaluates with batches measured in env steps (--batch-timesteps) and records the budget', async () => {
    const drawn = json(run, 'eval.json'); // 3 tasks, 5 episodes per step, written by the first test
    const out = join(tmp(), 'eval-budget.json');
    const e = metarl('evaluate', '--run', run, '--tasks', '3', '--steps', '2', '--episodes', '5', '--batch-timesteps', '1500', '--json', out);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/batches of at least 1500 env steps from 5 env slots in lockstep/);
    const doc = json(out);
    expect(doc.batchTimesteps).toBe(1500);
    expect(doc.steps.map((s: { step: number }) => s.step)).toEqual([0, 1, 2]);
    // At least 15 episodes per step instead of 5: other averages than the fixed-count evaluation's.
    expect(doc.perTask[0]).not.toEqual(drawn.perTask[0]);
    // Each slot's first episode at step 0 is the fixed-count batch (same policy, same streams).
    expect(doc.steps[0].firstEpisodes).toEqual({ mean: drawn.steps[0].mean, sem: drawn.steps[0].sem });
    for (const s of doc.steps) expect(s.episodes).toBeGreaterThanOrEqual(15);
    expect(e.stdout).toMatch(/\| first episode of each slot \| step 0 \| step 1 \| step 2 \|/);
    for (const s of doc.steps) expect(Number.isFinite(s.mean) && s.sem >= 0).toBe(true);
    expectUserError(await metarlHere('evaluate', '--run', run, '--batch-timesteps', '0'), '--batch-timesteps', '"0"');
  }, 120_000);

  it('prints a command\'s usage for --help and -h, and exits 0', async () => {
    for (const cmd of COMMANDS) {
      const r = await metarlHere(cmd, cmd === 'train' ? '--help' : '-h');
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toBe('usage:');
      expect(lines[1]).toMatch(new RegExp(`^  metarl ${cmd} `));
      expect(r.stdout).not.toMatch(new RegExp(`^ {2}metarl (?!${cmd} )\\w+ `, 'm')); // no other command's usage
      if (['train', 'compare', 'bench', 'check'].includes(cmd)) expect(r.stdout).toMatch(/^envs: .*Navigation2D-v0/m);
      else expect(r.stdout).not.toMatch(/^envs: /m);
      expect(r.stdout).toMatch(/^options:\n {2}--[a-z-]+ +\S/m); // the options, one line each
      if (cmd === 'train') expect(r.stdout).toMatch(/^ {2}--backend +auto \(default/m);
      // The options are listed in the order the usage line names them.
      const usage = r.stdout.slice(0, r.stdout.indexOf('\noptions:'));
      const listed = [...r.stdout.slice(r.stdout.indexOf('\noptions:')).matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!);
      const named = [...new Set([...usage.matchAll(/--[a-z-]+/g)].map((m) => m[0]))];
      expect(listed, cmd).toEqual(named);
    }
    expectUserError(metarl('bogus', '--help'), 'bogus');
  }, 60_000);

  it('help, a command\'s help, the version and an unknown command do not load tfjs (it takes most of a second); a command does', () => {
    // tfjs-core keeps its engine on the global object once loaded.
    const probe = join(tmp(), 'probe.mjs');
    writeFileSync(probe, "process.on('exit', () => process.stderr.write(`TFJS_LOADED=${'_tfengine' in globalThis}\\n`));\n");
    const loaded = (...args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', probe, BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
      return /TFJS_LOADED=(true|false)/.exec(r.stderr)?.[1];
    };
    expect(loaded('--help')).toBe('false');
    expect(loaded('train', '--help')).toBe('false');
    expect(loaded('bogus')).toBe('false');
    expect(loaded('--version')).toBe('false');
    expect(loaded('inspect', '--run', join(tmp(), 'none'))).toBe('true');
  }, 60_000);

  it('training goes on to its end when the reader of its log stops early (train 2>&1 | head)', async () => {
    const out = join(tmp(), 'piped');
    const child = spawn(process.execPath, [BIN, 'train', '--preset', 'tiny', '--iterations', '6', '--workers', '1', '--out', out]);
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let seen = '';
    await new Promise<void>((res) => child.stderr.on('data', (d: Buffer) => {
      seen += d.toString();
      if (/^it +1\/6/m.test(seen)) res();
    }));
    child.stderr.destroy(); // the reader is gone: the next write fails with EPIPE
    child.stdout.destroy();
    expect(await exited).toBe(0);
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(6);
    expect(existsSync(join(out, '.metarl-lock'))).toBe(false);
  }, 60_000);

  it('plot draws the training curves as SVG and PNG, and names what is wrong with its input', async () => {
    const out = join(tmp(), 'curves.svg');
    const r = await metarlHere('plot', '--run', run, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('run: 2 iterations; moving average over 1');
    const svg = readFileSync(out, 'utf8');
    expect(svg.match(/<polyline /g)).toHaveLength(2); // after and before
    const png = PNG.sync.read(readFileSync(out.replace(/\.svg$/, '.png')));
    expect(png.width).toBeGreaterThan(600);
    // A pretrained RL run plots returns, not query losses (its algo name is shared with the supervised baseline).
    const pre = join(tmp(), 'pre');
    expect(metarl('train', '--algo', 'pretrained', '--preset', 'tiny', '--iterations', '1', '--out', pre).code).toBe(0);
    expect((await metarlHere('plot', '--run', pre, '--out', join(pre, 'c.svg'))).code).toBe(0);
    expect(readFileSync(join(pre, 'c.svg'), 'utf8')).toMatch(/>mean return</);
    // Runs of one env share an axis quietly; runs of two envs get a note (their returns are not on one scale).
    const same = await metarlHere('plot', '--run', run, '--run', pre, '--out', join(pre, 'd.svg'));
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).not.toContain('note:');
    const sine = join(tmp(), 'sine');
    expect(metarl('train', '--env', 'SineRegression-v0', '--preset', 'tiny', '--out', sine).code).toBe(0);
    const mixed = await metarlHere('plot', '--run', run, '--run', sine, '--out', join(pre, 'e.svg'));
    expect(mixed.code, mixed.stderr).toBe(0);
    expect(mixed.stderr).toContain('plot: note: the runs are of 2 envs (Navigation2D-v0, SineRegression-v0), drawn on one return axis (check that their returns compare)');
    expectUserError(await metarlHere('plot', '--run', run), '--out', 'is required');
    expectUserError(await metarlHere('plot', '--run', run, '--out', join(tmp(), 'c.png')), '--out', 'must be a file name ending in .svg');
    expectUserError(await metarlHere('plot', '--run', run, '--out', join(tmp(), '.svg')), '--out', 'must be a file name ending in .svg');
    const nested = join(tmp(), 'new', 'folder', 'C.SVG');
    expect((await metarlHere('plot', '--run', run, '--out', nested)).code).toBe(0);
    expect(existsSync(nested.replace(/SVG$/, 'png'))).toBe(true);
    expectUserError(await metarlHere('plot', '--run', tmp(), '--out', out), '--run', 'has no progress.jsonl');
    expectUserError(await metarlHere('plot', '--run', join(tmp(), 'nope'), '--out', out), '--run', 'nope', 'not found');
    expectUserError(await metarlHere('plot', '--run', run, '--smooth', '0', '--out', out), '--smooth', '"0"');
  }, 60_000);

  it('never overwrites a run', async () => {
    const before = readFileSync(join(run, 'progress.jsonl'), 'utf8');
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--preset', 'tiny', '--out', run), '--out', run);
    expect(readFileSync(join(run, 'progress.jsonl'), 'utf8')).toBe(before);
  }, 60_000);

  it('--init-from starts a new run from another run\'s checkpoint, and refuses one that does not fit', async () => {
    const dir = tmp();
    const ft = join(dir, 'ft');
    const t = metarl('train', '--env', 'Navigation2D-v0', '--preset', 'tiny', '--iterations', '1', '--init-from', run, '--out', ft);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain(`starting from the parameters of ${run} (iteration 2)`);
    const rec = json(ft, 'config.json').initFrom;
    expect(rec).toEqual({ run, iteration: 2, weightsSha256: json(run, 'checkpoint', 'model.json').weightsSha256 });
    const wide = join(dir, 'wide.json');
    writeFileSync(wide, JSON.stringify({ policy: { hiddenSizes: [8] } }));
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--config', wide, '--init-from', run, '--out', join(dir, 'r1')), '--init-from', run, 'sizes');
    expectUserError(await metarlHere('train', '--env', 'SineRegression-v0', '--algo', 'maml', '--preset', 'tiny', '--init-from', run, '--out', join(dir, 'r2')), '--init-from', 'holds a checkpoint of Navigation2D-v0', 'SineRegression-v0');
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--init-from', join(dir, 'none'), '--out', join(dir, 'r3')), '--init-from', 'none', 'not found');
    expectUserError(await metarlHere('train', '--resume', '--init-from', run, '--out', ft), '--init-from', 'cannot be given with --resume');
    for (const r of ['r1', 'r2', 'r3']) expect(existsSync(join(dir, r)), r).toBe(false);
  }, 120_000);

  it('rejects bad input with exit code 2 and a message naming the field and value', async () => {
    expectUserError(metarl('train', '--env', 'Foo-v0'), 'Foo-v0', 'Navigation2D-v0');
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--meta-batch-size', '0'), '--meta-batch-size', '"0"');
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--fast-batch-size', '-3'), '--fast-batch-size');
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--backend', 'gpu9'), '--backend', 'gpu9');
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--bogus'), '--bogus');
    // A misspelt name gets the one it most plausibly stands for; nothing when none is close.
    expect((await metarlHere('train', '--env', 'Navigation2D-v0', '--bogus')).stderr).not.toContain('did you mean');
    expectUserError(metarl('evaluate', '--tsks', '3'), "'--tsks'", '(did you mean --tasks?)');
    // The checks below run the command line in this process (a child process costs about a second): the same answer.
    for (const argv of [['evaluate', '--tsks', '3'], ['train', '--workers', '-1'], ['trian'], ['train', '--env', 'Foo-v0']]) expect(await metarlHere(...argv)).toEqual(metarl(...argv));
    expectUserError(await metarlHere('compare', '--run', 'x'), '(did you mean --runs?)');
    // One dash: the parser reads letters; the word is the flag meant (found by an edge-input trial).
    expectUserError(await metarlHere('train', '-iterations', '1'), "Unknown option '-i' (did you mean --iterations? flags take two dashes)");
    expectUserError(await metarlHere('evaluate', '-tsks', '3'), "Unknown option '-t' (did you mean --tasks?)");
    expectUserError(await metarlHere('trian'), '"trian" (did you mean train?)');
    expectUserError(metarl('train', '--workers', '-1'), '--workers: takes a value, and the next argument "-1" starts with a dash');
    // A flag given twice is refused (the parser would keep the last one silently); --env-module may repeat.
    expectUserError(await metarlHere('evaluate', '--tasks', '3', '--run', run, '--tasks=5'), '--tasks is given 2 times ("3", "5"); give it once');
    // The same value twice, or a boolean flag twice, changes nothing: not refused.
    expectUserError(await metarlHere('train', '--resume', '--resume', '--seed', '1', '--seed=1', '--out', run), '--iterations: is needed');
    expectUserError(await metarlHere('evaluate', '--run', run, '--seed', '-2'), '--seed: takes a value, and the next argument "-2" starts with a dash');
    expectUserError(await metarlHere('evaluate', '--run', run, '--json', '--tasks', '3'), '--json: needs a value, and the next argument is the flag --tasks');
    expectUserError(metarl('check', '--env-module', 'a.mts', '--env-module', '-b.mts'), '--env-module: takes a value, and the next argument "-b.mts"', 'write --env-module=-b.mts');
    expectUserError(await metarlHere('train', '--env', 'navigation2d-v0'), '(did you mean Navigation2D-v0?)');
    expectUserError(await metarlHere('train', '--preset', 'cheeta'), '(did you mean cheetah?)');
    expectUserError(await metarlHere('train', '--env', 'HalfCheetahVel-v0', '--preset', 'sine'), '--preset: is for the supervised envs, and HalfCheetahVel-v0 is an RL env: use cheetah');
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--keep-every', '15', '--out', join(tmp(), 'r0')), '--keep-every', 'multiple of checkpointEvery (10)');
    const dir = tmp();
    const unknownKey = join(dir, 'a.json');
    writeFileSync(unknownKey, JSON.stringify({ trpo: { maxKL: 0.01 } }));
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--config', unknownKey, '--out', join(dir, 'r1')), 'trpo.maxKL', '(did you mean trpo.maxKl?)');
    // Names every JavaScript object has are no config keys (found by an edge-input trial: hasOwnProperty trained, __proto__ was an internal error).
    for (const [text, key] of [['{"hasOwnProperty":1}', 'hasOwnProperty'], ['{"__proto__":{"seed":5}}', '__proto__'], ['{"constructor":{"a":1}}', 'constructor'], ['{"trpo":{"valueOf":1}}', 'trpo.valueOf']]) {
      writeFileSync(unknownKey, text);
      expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--config', unknownKey, '--out', join(dir, 'r1')), `${key}: unknown config key`);
    }
    expectUserError(await metarlHere('train', '--preset', 'constructor', '--out', join(dir, 'r1')), 'metarl: --preset: unknown preset');
    // A value a flag gave is refused naming the flag (found by a flags trial: these named the config field);
    // the same value from a config file names the field.
    expectUserError(await metarlHere('train', '--preset', 'tinny', '--out', join(dir, 'r1')), 'metarl: --preset: unknown preset (did you mean tiny?)');
    expectUserError(await metarlHere('train', '--algo', 'mamll', '--out', join(dir, 'r1')), 'metarl: --algo: must be one of', '(got "mamll")');
    expectUserError(await metarlHere('train', '--algo', 'maml', '--out', join(dir, 'r1')), 'metarl: --algo: does not apply to Navigation2D-v0');
    expectUserError(await metarlHere('train', '--env', 'SineRegression-v0', '--fast-batch-size', '3', '--out', join(dir, 'r1')), 'metarl: --fast-batch-size: sets the episodes per task of RL envs', '(got 3)');
    const algoFile = join(dir, 'algo.json');
    writeFileSync(algoFile, JSON.stringify({ algo: 'maml' }));
    expectUserError(await metarlHere('train', '--config', algoFile, '--out', join(dir, 'r1')), 'metarl: algo: does not apply to Navigation2D-v0');
    const runOption = join(dir, 'k.json');
    writeFileSync(runOption, JSON.stringify({ keepEvery: 10 }));
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--config', runOption, '--out', join(dir, 'r1')), 'keepEvery: is an option of train, not part of the config: give --keep-every on the command line instead');
    const badType = join(dir, 'b.json');
    writeFileSync(badType, JSON.stringify({ adaptation: { fastLr: -0.1 } }));
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--config', badType, '--out', join(dir, 'r2')), 'adaptation.fastLr', '-0.1');
    expectUserError(await metarlHere('evaluate', '--run', join(dir, 'missing')), '--run', 'missing');
    expectUserError(await metarlHere('evaluate', '--run', run, '--tasks', '0'), '--tasks', '"0"');
    // Sizes whose episodes cannot fit in memory: refused at once (found by an edge-input trial: minutes, then V8 out of memory).
    expectUserError(await metarlHere('evaluate', '--run', run, '--episodes', '100000000000'), '--episodes: 100000000000 episodes of 100 steps, sampled at once, need at least', "more than this machine's");
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--meta-batch-size', '100000000000', '--out', join(dir, 'huge')), '--meta-batch-size: with sampling.fastBatchSize 5: 100000000000 tasks × 5 episodes of 100 steps need at least', "for one iteration's episodes, more than this machine's");
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--fast-batch-size', '100000000000', '--out', join(dir, 'huge')), '--fast-batch-size: with sampling.metaBatchSize 4:');
    // Named as the config file's when the file gave them (found by a bad-input trial: the flags were named).
    writeFileSync(join(dir, 'fbs.json'), JSON.stringify({ sampling: { fastBatchSize: 1000000000 } }));
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--config', join(dir, 'fbs.json'), '--out', join(dir, 'huge')), 'metarl: sampling.fastBatchSize: with sampling.metaBatchSize 4:');
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--config', join(dir, 'fbs.json'), '--meta-batch-size', '4', '--out', join(dir, 'huge')), 'metarl: sampling.fastBatchSize: with --meta-batch-size 4:');
    expectUserError(await metarlHere('train', '--config', dir, '--out', join(dir, 'huge')), '--config: is a directory; give the JSON file');
    writeFileSync(join(dir, 'seed.json'), JSON.stringify({ seed: -1 }));
    expectUserError(await metarlHere('train', '--config', join(dir, 'seed.json'), '--seed', '3', '--out', join(dir, 'huge')), 'metarl: seed: must be a non-negative integer (got -1)');
    expect(existsSync(join(dir, 'huge'))).toBe(false);
    const tasks = join(dir, 'tasks.json');
    writeFileSync(tasks, JSON.stringify([{ goal: [0.1, 0.2] }, { goal: [0.1] }]));
    expectUserError(await metarlHere('evaluate', '--run', run, '--task-file', tasks), '--task-file', 'task 2 of 2', 'task.goal', '[0.1]');
    expectUserError(await metarlHere('evaluate', '--run', run, '--task-file', tasks, '--tasks', '5'), '--tasks', 'cannot be combined with --task-file');
    expectUserError(await metarlHere('evaluate', '--run', run, '--task-file', join(dir, 'none.json')), '--task-file', 'none.json', 'not found');
    // Named before the backend is loaded (found by a flags trial: after it); in a process of their own, whose log would show the backend's line.
    for (const [args, says] of [[['evaluate', '--run', run, '--task-file', join(dir, 'none.json')], 'metarl: --task-file: file not found'], [['select', '--run', run, '--seed', '20170309'], 'metarl: --seed: is the seed of the test tasks']] as const) {
      const r = metarl(...args);
      expect([r.code, r.stderr.split('\n')[0]!.slice(0, says.length)]).toEqual([2, says]);
      expect(r.stderr).not.toContain('backend');
    }
  }, 120_000);

  it('names the flag when a path is not a run, an output cannot be written, or a flag does not apply', async () => {
    const dir = tmp();
    expectUserError(await metarlHere('evaluate', '--run', dir), '--run', 'is not a run directory');
    expectUserError(await metarlHere('evaluate', '--run', join(run, 'checkpoint')), '--run', 'is a checkpoint folder', 'its parent');
    expectUserError(await metarlHere('inspect', '--run', dir), '--run', 'is not a run directory');
    expectUserError(await metarlHere('train', '--resume', '--out', dir), '--out', 'is not a run directory');
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--init-from', dir, '--out', join(dir, 'r')), '--init-from', 'is not a run directory');
    expectUserError(await metarlHere('compare', '--env', 'Navigation2D-v0', '--runs', `maml=${dir}`, '--out', join(dir, 'c')), '--runs maml', 'is not a run directory');
    // Checked before any work: a finished evaluation is not lost to a bad --json path. A --json in
    // folders that do not exist yet is written there, as train, compare, plot and render make theirs.
    const nested = join(dir, 'no', 'such', 'e.json');
    expect(metarl('evaluate', '--run', run, '--tasks', '1', '--episodes', '2', '--steps', '0', '--json', nested).code).toBe(0);
    expect(json(nested).tasks).toBe(1);
    expectUserError(await metarlHere('evaluate', '--run', run, '--json', dir), '--json', 'is a directory');
    expectUserError(await metarlHere('evaluate', '--run', run, '--shots', '5'), '--shots', 'supervised');
    const file = join(dir, 'f.txt');
    writeFileSync(file, 'x');
    expectUserError(await metarlHere('compare', '--env', 'Navigation2D-v0', '--runs', `maml=${run}`, '--out', file), '--out', 'is a file');
    // A path through a file, a file of a run: refused before any work, naming the flag (every case
    // of the checks in test/unit/cli-args.test.ts; here each command's wiring).
    expectUserError(await metarlHere('evaluate', '--run', run, '--json', join(file, 'x.json')), '--json', `${file} is a file, not a directory`);
    expectUserError(await metarlHere('plot', '--run', run, '--out', join(file, 'c.svg')), '--out', `${file} is a file, not a directory`);
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--out', file), '--out', 'is a file, not a directory');
    expectUserError(await metarlHere('compare', '--env', 'Navigation2D-v0', '--runs', `maml=${run}`, '--out', join(file, 'c')), '--out', `cannot be made: ${file} is a file`);
    // Another compare writing into --out (a stand-in process holding its lock): refused, nothing written.
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    const other = spawn('sleep', ['30']);
    writeFileSync(join(busy, '.metarl-lock'), `${other.pid}\n`);
    const locked = await metarlHere('compare', '--env', 'Navigation2D-v0', '--runs', `maml=${run}`, '--tasks', '1', '--episodes', '2', '--steps', '0', '--out', busy);
    other.kill();
    expectUserError(locked, '--out', `is being written by another compare (process ${other.pid}`);
    expect(readdirSync(busy)).toEqual(['.metarl-lock']);
    // Known names in another case would silently lose the gap closed and the paired difference.
    expectUserError(await metarlHere('compare', '--runs', `MAML=${run}`, '--out', join(dir, 'cc')), '--runs', 'names are case-sensitive', 'name it maml', '(got "MAML")');
    const checkpointBytes = readFileSync(join(run, 'checkpoint', 'model.json'), 'utf8');
    expectUserError(await metarlHere('evaluate', '--run', run, '--tasks', '1', '--json', join(run, 'config.json')), '--json', `is a file of the run ${run}`);
    expectUserError(await metarlHere('evaluate', '--run', run, '--tasks', '1', '--json', join(run, 'checkpoint', 'model.json')), '--json', `is in the checkpoint folder of the run ${run}`);
    expect(readFileSync(join(run, 'checkpoint', 'model.json'), 'utf8')).toBe(checkpointBytes);
    writeFileSync(join(dir, 'results.json'), '{}');
    expectUserError(await metarlHere('compare', '--env', 'Navigation2D-v0', '--runs', `maml=${run}`, '--out', dir), '--out', 'already holds the results');
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe('{}');
    // Also with partial/ beside it: a crash between renaming results.json into place and removing partial/.
    mkdirSync(join(dir, 'partial'));
    expectUserError(await metarlHere('compare', '--env', 'Navigation2D-v0', '--runs', `maml=${run}`, '--out', dir), '--out', 'already holds the results');
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe('{}');
    // Without results.json (written last), the comparison was stopped while writing its files: the same command completes it.
    rmSync(join(dir, 'results.json'));
    writeFileSync(join(dir, 'results.md'), 'cut off');
    const done = metarl('compare', '--env', 'Navigation2D-v0', '--runs', `maml=${run}`, '--tasks', '1', '--episodes', '2', '--steps', '0', '--out', dir);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).methods[0].name).toBe('maml');
    expect(existsSync(join(dir, 'partial'))).toBe(false);
    for (const f of ['results.md', 'figure.svg', 'figure.png']) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(readFileSync(join(dir, 'results.md'), 'utf8')).toContain('| maml');
    // Without --out too: a run it cannot draw is named first (found by an API trial: --out was asked for first).
    expectUserError(await metarlHere('render', '--run', run), '--run', 'Navigation2D-v0', 'half-cheetah');
    // Empty, repeated and over-long values (found by a bad-input trial: ignored, the last taken, or refused only after the work).
    expectUserError(await metarlHere('evaluate', '--run', run, '--json', ''), '--json: is empty; give a file name');
    expectUserError(await metarlHere('evaluate', '--run', ''), '--run: is empty; give a run directory');
    expectUserError(await metarlHere('evaluate', '--run', run, '--json', join(dir, `${'x'.repeat(300)}.json`)), '--json', 'holds a name of 305 bytes', 'more than the 255');
    expectUserError(await metarlHere('compare', '--runs', `maml=${run}`, '--lr', '', '--out', join(dir, 'c')), '--lr: is empty');
    expectUserError(await metarlHere('compare', '--env', '', '--runs', `maml=${run}`, '--out', join(dir, 'c')), '--env: is empty');
    expectUserError(await metarlHere('oneshot', '--run', run, '--data', join(dir, 'nowhere.zip')), `--run: is a run of Navigation2D-v0, not a classification run (got ${JSON.stringify(run)})`);
    expectUserError(await metarlHere('train', '--first-order=false', '--out', join(dir, 'c')), 'metarl: --first-order: is a switch and takes no value (got "false"): give --first-order alone to turn it on, or leave it out');
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v9', '--out', join(dir, 'c')), 'metarl: --env: unknown env id "Navigation2D-v9" (Navigation2D is registered as Navigation2D-v0 only)');
    expectUserError(await metarlHere('compare', '--env', 'SineRegression-v0', '--runs', `maml=${run}`, '--episodes', '2', '--out', join(dir, 'c')), `--runs maml: was trained on Navigation2D-v0, not SineRegression-v0 (got ${JSON.stringify(run)})`);
    expectUserError(await metarlHere('compare', '--runs', `maml=${run}`, '--lr', 'maml=0.1,maml=0.2', '--out', join(dir, 'c')), '--lr: is given twice (got "maml")');
    expectUserError(await metarlHere('train', '--algo', 'pretrained', '--first-order', '--out', join(dir, 'fo')), '--first-order: does not apply to algo pretrained');
    expect(existsSync(join(dir, 'fo'))).toBe(false);
    // Sizes nothing can run with (found by a bad-input trial: out of memory after a minute, a wasm fault, 9 GB).
    expectUserError(await metarlHere('evaluate', '--run', run, '--tasks', '100000000'), '--tasks: must be at most 1000000');
    expectUserError(await metarlHere('evaluate', '--run', run, '--steps', '1000000000'), '--steps: must be at most 10000');
    expectUserError(await metarlHere('evaluate', '--run', run, '--batch-timesteps', '99999999999'), '--batch-timesteps: must be at most 10000000');
    writeFileSync(join(dir, 'wide.json'), JSON.stringify({ policy: { hiddenSizes: [100000000] } }));
    expectUserError(await metarlHere('train', '--config', join(dir, 'wide.json'), '--out', join(dir, 'wide')), 'policy.hiddenSizes: gives the network at least 100000000 weights, more than the 50000000 that fit');
    writeFileSync(join(dir, 'shots.json'), JSON.stringify({ supervised: { shots: 100000000 } }));
    expectUserError(await metarlHere('train', '--env', 'SineRegression-v0', '--config', join(dir, 'shots.json'), '--out', join(dir, 'shots')), 'supervised.shots: must be at most 1000000');
    // --env-module copied onto a command that makes no env (found by an API trial).
    expectUserError(metarl('inspect', '--run', run, '--env-module', 'own.ts'), "Unknown option '--env-module' (inspect reads the run's files only and makes no env: leave --env-module out)");
    expectUserError(await metarlHere('bench', '--env-only', '--iterations', '2'), '--iterations', '--env-only');
    expect(existsSync(join(dir, 'r')) || existsSync(join(dir, 'c'))).toBe(false);
    // The demo too: a checkpoint folder given for its run is one line and exit 2, not a stack.
    const demo = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'demo', 'cli.ts'), '--run', join(run, 'checkpoint'), '--build-only'], { encoding: 'utf8', timeout: 60_000 });
    expect(demo.status).toBe(2);
    expect(demo.stderr.trim().split('\n')).toHaveLength(1);
    expect(demo.stderr).toContain('is a checkpoint folder; pass the run directory that holds it (its parent)');
    const typo = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'demo', 'cli.ts'), '--prot', '80'], { encoding: 'utf8', timeout: 60_000 });
    expect([typo.status, typo.stderr]).toEqual([2, "demo: Unknown option '--prot' (did you mean --port?)\n"]);
    // A port in digits only (found by a flags trial: '' was taken as 0, 1e3 as 1000).
    for (const port of ['', '1e3']) {
      const p = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'demo', 'cli.ts'), '--port', port, '--build-only'], { encoding: 'utf8', timeout: 60_000 });
      expect([p.status, p.stderr]).toEqual([2, `demo: --port: must be an integer in 0…65535 (got ${JSON.stringify(port)})\n`]);
    }
    // An Omniglot run (its checkpoint's env renamed here): built in for Node, not in the page; named so (found by a demo trial: sent to look for an env module).
    const omni = join(dir, 'omni');
    cpSync(run, omni, { recursive: true });
    const model = json(omni, 'checkpoint', 'model.json');
    writeFileSync(join(omni, 'checkpoint', 'model.json'), JSON.stringify({ ...model, config: { ...model.config, env: 'Omniglot5Way1Shot-v0' } }));
    const o = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'demo', 'cli.ts'), '--run', omni, '--build-only'], { encoding: 'utf8', timeout: 60_000 });
    expect([o.status, o.stderr]).toEqual([2, 'demo: --run: the run\'s env "Omniglot5Way1Shot-v0" reads its images from files, which the page cannot: Omniglot runs are evaluated with metarl evaluate and metarl oneshot\n']);
  }, 120_000);

  // Another user's run: as root (which may write anywhere), the commands run as user nobody.
  const asRoot = process.getuid?.() === 0;
  it('a folder this process may not write in is named before any work (found by an edge-input trial: stacks, some after the work)', (ctx) => {
    const dir = tmp();
    chmodSync(dir, 0o755);
    const theirs = join(dir, 'theirs');
    expect(metarl('train', '--preset', 'tiny', '--iterations', '2', '--keep-every', '1', '--out', theirs).code).toBe(0);
    const as = (...args: string[]) => {
      const r = asRoot
        ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir })
        : spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    // Where user nobody cannot run node, read metarl or enter the test's folder (a home or temp folder only root may enter), there is nothing to check.
    if (as('-e', `for (const p of ${JSON.stringify([BIN, theirs])}) require('fs').accessSync(p, 5)`).code !== 0) ctx.skip();
    const folders = [theirs, join(theirs, 'checkpoint'), join(theirs, 'snapshots'), join(theirs, 'snapshots', 'it1'), join(theirs, 'snapshots', 'it2')];
    const files = () => readdirSync(theirs, { recursive: true }).map(String).sort();
    const before = files();
    for (const p of folders) chmodSync(p, 0o555);
    try {
      expectUserError(as(BIN, 'train', '--resume', '--iterations', '3', '--out', theirs), '--out', `cannot be written: ${theirs} is not writable (EACCES)`);
      expectUserError(as(BIN, 'evaluate', '--run', theirs, '--tasks', '1', '--json', join(theirs, 'e.json')), '--json', `cannot be written: ${theirs} is not writable (EACCES)`);
      expectUserError(as(BIN, 'compare', '--runs', `maml=${theirs}`, '--out', join(theirs, 'cmp')), '--out', `cannot be written: ${theirs} is not writable (EACCES)`);
      // select scores it all the same, without keeping the scores.
      const s = as(BIN, 'select', '--run', theirs, '--tasks', '1', '--episodes', '2', '--steps', '1');
      expect(s.code, s.stderr).toBe(0);
      expect(s.stderr).toContain(`select: note: ${join(theirs, 'select-cache')} cannot be written: ${theirs} is not writable (EACCES): the scores are not kept`);
      expect(s.stdout).toMatch(/^picked /m);
    } finally {
      for (const p of folders) chmodSync(p, 0o755);
    }
    expect(files()).toEqual(before);
  }, 120_000);

  // sysfs refuses new files even to root, whom the permission bits let through: the check before the
  // work asks for a file (it did not, and the write failed after the work).
  it.runIf(asRoot && existsSync('/sys/kernel'))('a folder that refuses new files whatever its permission bits say is named before the work', async () => {
    expectUserError(await metarlHere('evaluate', '--run', run, '--tasks', '1', '--episodes', '2', '--steps', '0', '--json', '/sys/metarl-eval.json'), '--json', '/sys/metarl-eval.json', 'refuses new files');
  });

  it('a write the file system refuses after the work is one line, not a stack', async () => {
    // A file put, during the work, where the results' folder is to be made. The child is stopped
    // while it is put there, so that it cannot have finished first.
    const dir = tmp();
    const json = join(dir, 'sub', 'eval.json');
    const child = spawn(process.execPath, [BIN, 'evaluate', '--run', run, '--tasks', '10', '--episodes', '2', '--steps', '0', '--json', json]);
    let stderr = '';
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    await new Promise<void>((res) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/ 1\/10\b/.test(stderr)) res();
    }));
    child.kill('SIGSTOP');
    writeFileSync(join(dir, 'sub'), 'in the way');
    child.kill('SIGCONT');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(new RegExp(`^metarl: the file system refused: ENOTDIR: [^\\n]*${join(dir, 'sub')}[^\\n]*\\n`, 'm'));
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('train: a config file\'s env is used, and one that differs from --env is refused; a run\'s config.json is a config', async () => {
    const dir = tmp();
    const cheetah = join(dir, 'cheetah.json');
    writeFileSync(cheetah, JSON.stringify({ env: 'HalfCheetahVel-v0' }));
    expectUserError(await metarlHere('train', '--env', 'Navigation2D-v0', '--config', cheetah, '--out', join(dir, 'r1')), '--env', 'Navigation2D-v0', 'HalfCheetahVel-v0');
    expect(existsSync(join(dir, 'r1'))).toBe(false);
    // A run's own config.json trains again with its settings (here 1 more iteration's worth).
    const again = join(dir, 'again');
    const t = metarl('train', '--config', join(run, 'config.json'), '--iterations', '1', '--out', again);
    expect(t.code, t.stderr).toBe(0);
    expect({ ...json(again, 'config.json').config, iterations: 2 }).toEqual(json(run, 'config.json').config);
  }, 120_000);

  it('a second Ctrl-C stops at once: a new run without a checkpoint leaves --out as it was; a run with one goes back to it and says how to go on', async () => {
    const dir = tmp();
    const out = join(dir, 'slow');
    // Iterations of a few seconds, so that the second signal (1.5 s after the first at least) comes during one, with
    // workers (with one, an iteration holds the event loop, and both signals are handled after it).
    const args = ['train', '--preset', 'tiny', '--meta-batch-size', '8', '--fast-batch-size', '300', '--workers', '2', '--out', out];
    const hardStop = async (argv: string[]) => {
      const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'metarl.mjs'), ...argv]);
      let stderr = '';
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      await new Promise<void>((res) => child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/^training /m.test(stderr)) res();
      }));
      child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 1700));
      child.kill('SIGINT');
      return { code: await exited, stderr };
    };
    // Into folders that do not exist yet: --out goes, and so do the folders made on the way to it.
    const deep = join(dir, 'a', 'b', 'run');
    const first = await hardStop([...args.slice(0, -1), deep, '--iterations', '3']);
    expect(first.code).toBe(130);
    expect(first.stderr).toContain(`metarl: SIGINT again: stopped at once, before the first checkpoint: nothing is kept, and ${deep} is left as it was: run the same command again`);
    expect(existsSync(join(dir, 'a'))).toBe(false);
    // With a checkpoint (iteration 1), a hard stop in iteration 2 goes back to it.
    expect(metarl(...args, '--iterations', '1').code).toBe(0);
    const second = await hardStop(['train', '--resume', '--iterations', '3', '--workers', '2', '--out', out]);
    expect(second.code).toBe(130);
    expect(second.stderr).toContain(`metarl: SIGINT again: stopped at once; ${out} goes back to its checkpoint of iteration 1 (the iterations after it are lost), from which \`metarl train --resume --iterations 3 --out ${out}\` continues`);
    expect(loadCheckpoint(out).meta.iteration).toBe(1);
  }, 120_000);

  // The unbroken run the stopped and resumed ones are compared with: one for both, trained as far as the longer needs
  // (a run's first N iterations do not depend on how many it is given).
  let whole: { out: string; iterations: number } | undefined;
  const unbroken = (iterations: number) => {
    if (!whole || whole.iterations < iterations) {
      whole = { out: join(tmp(), 'whole'), iterations: iterations + 2 };
      expect(metarl('train', '--preset', 'tiny', '--iterations', String(whole.iterations), '--out', whole.out).code).toBe(0);
    }
    return whole.out;
  };

  // One worker too: its iterations never wait on anything, and the signal handler must still run.
  it.each(['1', '2'])('Ctrl-C stops training after the iteration under way with a checkpoint of it, and --resume goes on as if unbroken (%s workers)', async (workers) => {
    const dir = tmp();
    const out = join(dir, 'stopped');
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'metarl.mjs'), 'train', '--preset', 'tiny', '--iterations', '400', '--workers', workers, '--out', out]);
    let stderr = '';
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    await new Promise<void>((res) => child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^it +3\/400/m.test(stderr)) res();
    }));
    // Twice at once, as a terminal's Ctrl-C can arrive when a wrapper (npm run) passes it on too: still one graceful stop.
    child.kill('SIGINT');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const lines = readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n');
    const at = loadCheckpoint(out).meta.iteration;
    expect(lines).toHaveLength(at); // the iterations run were all kept, the last one in the checkpoint
    expect(at).toBeGreaterThanOrEqual(3);
    expect(at).toBeLessThan(400);
    expect(stderr).toContain('metarl: SIGINT: stopping after the iteration under way, with a checkpoint');
    // No iteration starts after the signal is seen: with one worker it is seen between iterations
    // (found by a crash trial: one more whole iteration ran), with two during the one under way.
    const after = stderr.slice(stderr.indexOf('metarl: SIGINT: stopping')).match(/^it +\d+\/400/gm) ?? [];
    expect(after.length).toBeLessThanOrEqual(workers === '1' ? 0 : 1);
    expect(stderr).toContain(`metarl: stopped at iteration ${at} of 400; the checkpoint is in ${join(out, 'checkpoint')}, and \`metarl train --resume --iterations 400 --out ${out}\` goes on from it`);
    // Resumed for two more, the log is that of a run never stopped.
    const resumed = metarl('train', '--resume', '--iterations', String(at + 2), '--out', out);
    expect(resumed.code).toBe(0);
    // Its closing table covers the run's last iterations, not only the two of this command.
    expect(resumed.stdout).toContain(`| Navigation2D-v0, last ${Math.min(10, at + 2)} iterations |`);
    // config.json says what the run is trained to now (400 when it was started).
    expect(json(out, 'config.json').config.iterations).toBe(at + 2);
    const strip = (run: string) => readFileSync(join(run, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => ({ ...JSON.parse(l), time: null }));
    expect(strip(out)).toEqual(strip(unbroken(at + 2)).slice(0, at + 2));
  }, 120_000);

  it('train --resume with nothing left to do says so instead of exiting silently; flags, a preset or a config file that repeat the run\'s values are taken', async () => {
    const none = await metarlHere('train', '--resume', '--out', run);
    expectUserError(none, '--iterations: is needed', 'has trained the 2 iterations it was given');
    expect(none.stderr).not.toContain('(got');
    expectUserError(await metarlHere('train', '--resume', '--iterations', '1', '--out', run), '--iterations', 'already at iteration 2');
    // The first command with --resume added: its flags equal the run's, so only --iterations counts.
    expectUserError(await metarlHere('train', '--resume', '--env', 'Navigation2D-v0', '--seed', '1', '--meta-batch-size', '4', '--out', run), '--iterations: is needed');
    expectUserError(await metarlHere('train', '--resume', '--seed', '2', '--iterations', '3', '--out', run), '--seed: differs from the run\'s 1', '(got "2")');
    expectUserError(await metarlHere('train', '--resume', '--first-order', '--iterations', '3', '--out', run), '--first-order: differs from the run\'s false');
    // So do a preset or config file that resolve to the run's config (iterations aside); not another.
    expectUserError(await metarlHere('train', '--resume', '--preset', 'tiny', '--config', join(run, 'config.json'), '--out', run), '--iterations: is needed');
    expectUserError(await metarlHere('train', '--resume', '--preset', 'navigation', '--iterations', '3', '--out', run), '--preset: gives checkpointEvery = 10 where the run has 1, policy.hiddenSizes = [64,64] where the run has [16,16], ', 'and 2 more (a resumed run keeps its config', '(got "navigation")');
    expect(JSON.parse(readFileSync(join(run, 'checkpoint', 'model.json'), 'utf8')).iteration).toBe(2);
    // A config.json cut short or emptied: named, not an internal error (found by an edge-input trial), and the run is left as it was.
    const cut = join(tmp(), 'cut');
    cpSync(run, cut, { recursive: true });
    // A line past the checkpoint (iteration 2, from a run killed after logging it), which a resume drops: not this one (found by a review).
    const log = `${readFileSync(join(run, 'progress.jsonl'), 'utf8')}${JSON.stringify({ iteration: 2 })}\n`;
    writeFileSync(join(cut, 'progress.jsonl'), log);
    for (const text of ['', '{"config":', 'null']) {
      writeFileSync(join(cut, 'config.json'), text);
      expectUserError(await metarlHere('train', '--resume', '--iterations', '3', '--out', cut), '--out', 'has a config.json that cannot be read', 'move it aside');
      expect(readdirSync(cut).sort()).toEqual(readdirSync(run).sort());
      expect(loadCheckpoint(cut).meta.iteration).toBe(2);
      expect(readFileSync(join(cut, 'progress.jsonl'), 'utf8')).toBe(log);
    }
    // A run killed before its first checkpoint (its config and log, no checkpoint): the same command
    // is refused and points to --resume, which starts it over and ends as the unbroken run did.
    const killed = join(tmp(), 'killed');
    mkdirSync(killed);
    for (const f of ['config.json', 'progress.jsonl']) writeFileSync(join(killed, f), readFileSync(join(run, f)));
    expectUserError(await metarlHere('train', '--preset', 'tiny', '--iterations', '2', '--out', killed), '--out', 'stopped before its first checkpoint; --resume starts it over from iteration 0');
    const restarted = metarl('train', '--resume', '--out', killed);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stderr).toContain(`note: ${killed} has no checkpoint (its training stopped before the first one, after logging 2 iterations): starting it over from iteration 0`);
    expect(loadCheckpoint(killed).params).toEqual(loadCheckpoint(run).params);
  }, 60_000);

  it('evaluate scores an oracle run without adaptation, as compare does', () => {
    const dir = tmp();
    const oracle = join(dir, 'oracle');
    expect(metarl('train', '--preset', 'tiny', '--algo', 'oracle', '--iterations', '1', '--out', oracle).code).toBe(0);
    const e = metarl('evaluate', '--run', oracle, '--tasks', '2', '--episodes', '3', '--json', join(dir, 'e.json'));
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toContain('oracle run: evaluated without adaptation');
    expect(json(dir, 'e.json').steps.map((s: { step: number }) => s.step)).toEqual([0]);
  }, 120_000);

  it('--version prints the versions; the tiny preset runs on a supervised env', () => {
    const v = metarl('--version');
    expect(v.code).toBe(0);
    const own = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(v.stdout).toBe(`metarl ${own.version} (tfjs 4.22.0, node ${process.version}; running the compiled build)\n`); // test/global-setup.ts builds it
    // The version a run records (src/versions.ts, which a page reads too) is the package's.
    expect(json(run, 'config.json').versions.metarl).toBe(own.version);
    const tmp0 = tmp();
    const t = metarl('train', '--env', 'SineRegression-v0', '--preset', 'tiny', '--out', join(tmp0, 'sine'));
    expect(t.code, t.stderr).toBe(0);
    // The query loss itself, not a "return" (found by a supervised-path trial), from the run's log.
    const logged = readFileSync(join(tmp0, 'sine', 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { lossBefore: number; lossAfter: number });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(t.stdout).toContain(`| mean query loss | ${mean(logged.map((r) => r.lossBefore)).toFixed(4)} | ${mean(logged.map((r) => r.lossAfter)).toFixed(4)} |`);
  }, 120_000);

  it('a step size so large that the policy diverges is said in one line, with the likely cause, not a stack (found by a bad-input trial)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'big.json'), JSON.stringify({ adaptation: { fastLr: 1e5 } }));
    const r = metarl('train', '--preset', 'tiny', '--config', join(dir, 'big.json'), '--iterations', '1', '--workers', '1', '--out', join(dir, 'run'));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^metarl: the policy diverged: .*PolicyNotFiniteError: sampleEpisodes: the policy's action \d is -?Infinity .*; the usual cause is a step size too large \(adaptation\.fastLr in the config\)$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('reports a corrupt checkpoint instead of loading it', async () => {
    const w = join(run, 'checkpoint', 'weights.bin');
    const bytes = readFileSync(w);
    bytes[10] = bytes[10]! ^ 0xff;
    writeFileSync(w, bytes);
    expectUserError(await metarlHere('evaluate', '--run', run), 'weights.bin', 'checksum');
    expectUserError(await metarlHere('train', '--resume', '--out', run), 'weights.bin', 'checksum');
  }, 60_000);
});
