/**
 * An env of one's own, from the command line: `--env-module FILE` imports a module that registers
 * it (examples/navigation-ring.ts), in the main thread and in the worker threads, for every command
 * that makes envs. Without the flag such a run's env is unknown, and the message says what to pass.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { expectUserError, metarl } from '../helpers/cli.ts';
import { make } from '../../envs/index.ts';
import { NavigationRingEnv, RING_RADIUS } from '../../examples/navigation-ring.ts';
import { createRng } from '../../src/rng.ts';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig } from '../../src/config.ts';
import { train } from '../../agents/trainer.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RING = join(ROOT, 'examples', 'navigation-ring.ts');

describe('--env-module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metarl-env-module-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** Writes an env module `name`.mts (an ES module outside a "type": "module" package) that can use the built-in envs and `register`. */
  const envModule = (name: string, ...lines: string[]) => {
    const file = join(dir, `${name}.mts`);
    const lib = JSON.stringify(pathToFileURL(join(ROOT, 'envs', 'index.ts')).href);
    writeFileSync(file, [`import { Navigation2DEnv, SineRegressionEnv, register } from ${lib};`, ...lines].join('\n'));
    return file;
  };
  const run = join(dir, 'ring');

  it('the example env is registered by importing it and draws goals on its circle', () => {
    const env = make('NavigationRing-v0');
    expect(env).toBeInstanceOf(NavigationRingEnv);
    for (const t of env.sampleTasks(20, createRng(3))) {
      const [x, y] = t.goal as [number, number];
      expect(Math.hypot(x, y)).toBeCloseTo(RING_RADIUS, 6);
    }
  });

  it('train with two workers, then evaluate, select and bench the run through the same module', () => {
    const t = metarl('train', '--env-module', RING, '--env', 'NavigationRing-v0', '--preset', 'tiny', '--iterations', '2', '--workers', '2', '--keep-every', '1', '--out', run);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain(`--env-module ${RING}`);
    expect(readFileSync(join(run, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).config.env).toBe('NavigationRing-v0');

    // The worker threads made the env too: the same seed on one worker gives the same log.
    const one = join(dir, 'ring-1w');
    const t1 = metarl('train', '--env-module', RING, '--env', 'NavigationRing-v0', '--preset', 'tiny', '--iterations', '2', '--workers', '1', '--out', one);
    expect(t1.code, t1.stderr).toBe(0);
    const strip = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => { const r = JSON.parse(l); delete r.time; return r; });
    expect(strip(join(one, 'progress.jsonl'))).toEqual(strip(join(run, 'progress.jsonl')));

    const e = metarl('evaluate', '--env-module', RING, '--run', run, '--tasks', '3', '--steps', '1', '--episodes', '4');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/\| NavigationRing-v0 \| step 0 \| step 1 \|/);

    const s = metarl('select', '--env-module', RING, '--run', run, '--tasks', '2', '--steps', '1', '--episodes', '3');
    expect(s.code, s.stderr).toBe(0);

    const json = join(dir, 'bench.json');
    const b = metarl('bench', '--env-module', RING, '--env', 'NavigationRing-v0', '--env-only', '--json', json);
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).envs.map((r: { env: string }) => r.env)).toEqual(['NavigationRing-v0']);

    // Without --env, compare takes the runs' env.
    const c = metarl('compare', '--env-module', RING, '--runs', `maml=${run}`, '--tasks', '2', '--steps', '1', '--episodes', '3', '--out', join(dir, 'cmp'));
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'cmp', 'results.json'), 'utf8')).env).toBe('NavigationRing-v0');
    expectUserError(metarl('compare', '--random', '--out', join(dir, 'cmp2')), '--env', 'is required when no --runs are given');
  }, 300_000);

  it("without the flag the run's env is unknown, and the message names the module the run was trained with", () => {
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).envModules).toEqual([pathToFileURL(RING).href]);
    expectUserError(metarl('evaluate', '--run', run, '--tasks', '2'), 'unknown env id "NavigationRing-v0"', `(the run was trained with --env-module ${RING}: pass it again)`);
    expectUserError(metarl('evaluate', '--run', join(run, 'snapshots', 'it1'), '--tasks', '2'), `--env-module ${RING}`);
    expectUserError(metarl('train', '--resume', '--out', run), `--env-module ${RING}`);
    expectUserError(metarl('compare', '--env', 'NavigationRing-v0', '--runs', `maml=${run}`, '--out', join(dir, 'cmp-x')), `(the run was trained with --env-module ${RING}: pass it again)`);
    expectUserError(metarl('train', '--env', 'NavigationRing-v0', '--out', join(dir, 'x')), 'unknown env id "NavigationRing-v0"', '--env-module FILE');
  }, 60_000);

  it('from code: envModules takes a path from the current directory; without it, two workers say what to pass', async () => {
    await initBackend('wasm', { log: () => {} });
    const config = resolveConfig('NavigationRing-v0', 'tiny', { iterations: 1 });
    const rel = relative(process.cwd(), RING);
    expect(rel.startsWith('/')).toBe(false);
    const { records } = await train(config, { out: join(dir, 'code-rel'), workers: 2, envModules: [rel], log: () => {} });
    expect(records).toHaveLength(1);
    await expect(train(config, { out: join(dir, 'code-none'), workers: 2, log: () => {} })).rejects.toThrow(
      /worker threads cannot make env "NavigationRing-v0".*pass the module that registers it in envModules/,
    );
  }, 120_000);

  it('an env whose code ends its worker thread is one line naming the task, not a stack (found by a crash trial)', () => {
    const faulty = join(ROOT, 'test', 'helpers', 'faulty-env.ts');
    const out = join(dir, 'exits');
    const t = metarl('train', '--env-module', faulty, '--env', 'FaultyExit-v0', '--preset', 'tiny', '--iterations', '2', '--workers', '2', '--out', out);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/^metarl: a worker thread died: task 3 of 4 .*exited unexpectedly with code 7.*what ran in it ended its thread/m);
    expect(t.stderr).toContain(`metarl: training stopped in iteration 1; no checkpoint had been written, so nothing is kept, and ${out} is left as it was`);
    expect(t.stderr).not.toContain('internal error');
    expect(t.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('a new run whose env fails in its first iteration leaves nothing behind; one stopped before its first checkpoint with no config recorded is to be deleted', () => {
    const faulty = join(ROOT, 'test', 'helpers', 'faulty-env.ts');
    const out = join(dir, 'faulty');
    const args = ['train', '--env-module', faulty, '--env', 'FaultyThrow-v0', '--preset', 'tiny', '--iterations', '2', '--workers', '1', '--out', out];
    const t = metarl(...args);
    expect(t.code).toBe(1);
    // The env's own code threw: its message and line, not metarl's stack; nothing to resume from yet.
    expect(t.stderr).toContain('metarl: the env failed: task 3 of 4 ');
    expect(t.stderr).toContain('failed during sampling: injected fault');
    expect(t.stderr).toMatch(new RegExp(`\\n {4}at FaultyNavigation\\.setTask \\(${faulty.replace(/[.]/g, '\\.')}:\\d+:\\d+\\)\\n`));
    expect(t.stderr).toContain(`metarl: training stopped in iteration 1; no checkpoint had been written, so nothing is kept, and ${out} is left as it was: run the same command again once the cause is fixed\n`);
    expect(existsSync(out)).toBe(false);
    expect(t.stderr).not.toContain('internal error');
    expect(t.stderr).not.toMatch(/\/(agents|src)\//);
    // A string thrown instead of an Error: still the env's fault, though without a line to show.
    const stringy = envModule('stringy', "class Stringy extends Navigation2DEnv { override readonly id = 'Stringy-v0'; override reset(): never { throw 'not an Error'; } }", "register({ id: 'Stringy-v0', factory: () => new Stringy() });");
    const st = metarl('train', '--env-module', stringy, '--preset', 'tiny', '--iterations', '1', '--workers', '1', '--out', join(dir, 'stringy'));
    expect(st.code).toBe(1);
    expect(st.stderr).toMatch(/metarl: the env failed: task 1 of 4 .* failed during sampling: not an Error\n {4}\(it threw a value that is not an Error, which has no stack/);
    expect(st.stderr).not.toContain('internal error');
    // The same command fails the same way (it is not refused as a run already there).
    const again = metarl(...args);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('failed during sampling: injected fault');
    // A run stopped before its first checkpoint whose config.json records no config (an older metarl's): to be deleted by hand.
    mkdirSync(out);
    writeFileSync(join(out, 'config.json'), '{}');
    writeFileSync(join(out, 'progress.jsonl'), '{"iteration":0}\n');
    expectUserError(metarl(...args), '--out', 'has no checkpoint yet', 'delete the directory');
    expectUserError(metarl('train', '--env-module', faulty, '--resume', '--out', out), '--out', 'has no checkpoint yet and no valid config recorded', 'delete the directory');
    expectUserError(metarl('evaluate', '--env-module', faulty, '--run', out), '--run', 'has no checkpoint yet');
  }, 120_000);

  it("an env of one's own that breaks the env contract: what is wrong and with which env, not metarl's stack", () => {
    const broken = envModule(
      'broken',
      "class NanReward extends Navigation2DEnv { override readonly id = 'NanReward-v0'; override step(a: Float32Array) { return { ...super.step(a), reward: NaN }; } }",
      "class NoTasks extends Navigation2DEnv { override readonly id = 'NoTasks-v0'; }",
      "Object.defineProperty(NoTasks.prototype, 'sampleTasks', { value: undefined });",
      "register({ id: 'NanReward-v0', factory: () => new NanReward(), description: 'NaN rewards' });",
      "register({ id: 'NoTasks-v0', factory: () => new NoTasks(), description: 'no sampleTasks' });",
    );
    for (const workers of ['1', '2']) {
      const out = join(dir, `nan-${workers}`);
      const t = metarl('train', '--env-module', broken, '--env', 'NanReward-v0', '--preset', 'tiny', '--iterations', '1', '--workers', workers, '--out', out);
      expect(t.code).toBe(1);
      expect(t.stderr).toMatch(/metarl: the env does not keep the env contract: task \d+ .* failed during sampling: EnvContractError: NanReward-v0: step\(\) at t = 0 returned the reward NaN, not a finite number/);
      expect(t.stderr).toContain(`metarl: \`metarl check --env-module ${broken}\` checks it`);
      expect(t.stderr).toContain("no checkpoint had been written, so nothing is kept");
      expect(t.stderr).not.toContain('internal error');
      expect(t.stderr).not.toMatch(/\/(agents|src)\//);
      expect(existsSync(out)).toBe(false);
    }
    const n = metarl('train', '--env-module', broken, '--env', 'NoTasks-v0', '--preset', 'tiny', '--iterations', '1', '--out', join(dir, 'no-tasks'));
    expect(n.code).toBe(1);
    expect(n.stderr).toContain('metarl: the env does not keep the env contract: NoTasks-v0: sampleTasks() is missing');
    expect(n.stderr).not.toContain('internal error');
  }, 120_000);

  it("an env of one's own that throws in a worker after a checkpoint: where, and how to go on from the checkpoint", () => {
    const fuse = join(dir, 'fuse');
    const fragile = envModule(
      'fragile',
      "import { existsSync } from 'node:fs';",
      'class Fragile extends Navigation2DEnv {',
      "  override readonly id = 'Fragile-v0';",
      `  override reset(opts?: { seed?: number }) { if (existsSync(${JSON.stringify(fuse)})) throw new RangeError('the fuse has blown'); return super.reset(opts); }`,
      '}',
      "register({ id: 'Fragile-v0', factory: () => new Fragile(), description: 'throws once the fuse file exists' });",
    );
    const out = join(dir, 'fragile-run');
    const first = metarl('train', '--env-module', fragile, '--preset', 'tiny', '--iterations', '1', '--workers', '2', '--out', out);
    expect(first.code, first.stderr).toBe(0);
    writeFileSync(fuse, '');
    const t = metarl('train', '--env-module', fragile, '--resume', '--iterations', '3', '--workers', '2', '--out', out);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/metarl: the env failed: task \d+ .* failed during sampling: RangeError: the fuse has blown \(in worker \d\)\n/);
    expect(t.stderr).toContain(`    at Fragile.reset (${fragile}:5:`);
    expect(t.stderr).toContain(`metarl: training stopped in iteration 2; ${out} keeps its checkpoint of iteration 1, from which \`metarl train --resume --iterations 3 --out ${out} --env-module ${fragile}\` continues\n`);
    expect(t.stderr).toContain(`metarl: \`metarl check --env-module ${fragile}\` checks it`);
    expect(t.stderr).not.toContain('internal error');
    expect(t.stderr).not.toMatch(/\/(agents|src)\//);
    // The way on it names works once the env is mended.
    rmSync(fuse);
    const resumed = metarl('train', '--resume', '--iterations', '3', '--out', out, '--env-module', fragile);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  }, 120_000);

  it("an env of one's own that does not fit the config is a user error saying what to change", () => {
    const odd = envModule(
      'odd-envs',
      'class Unbounded extends Navigation2DEnv {',
      "  override readonly id = 'Unbounded-v0';",
      '  override readonly actionSpace = { shape: [2] as [number], low: Float32Array.of(-Infinity, -Infinity), high: Float32Array.of(Infinity, Infinity) };',
      '}',
      "register({ id: 'Unbounded-v0', factory: () => new Unbounded(), description: 'unbounded actions' });",
      "register({ id: 'NoOracle-v0', factory: () => Object.assign(new Navigation2DEnv(), { id: 'NoOracle-v0', taskVector: undefined }), description: 'no task vector' });",
    );
    // Two envs in the module and no --env: which one is not guessed; resuming, the run's config says.
    expectUserError(metarl('train', '--env-module', odd, '--out', join(dir, 'two')), '--env: is required: the --env-module files register NoOracle-v0, Unbounded-v0');
    const two = join(dir, 'two-ok');
    expect(metarl('train', '--env-module', odd, '--env', 'NoOracle-v0', '--preset', 'tiny', '--iterations', '1', '--workers', '1', '--out', two).code).toBe(0);
    const resumed = metarl('train', '--env-module', odd, '--resume', '--iterations', '2', '--workers', '1', '--out', two);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(two, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    // The navigation preset (which an unknown name gets) normalises actions to [−1, 1].
    expectUserError(metarl('train', '--env-module', odd, '--env', 'Unbounded-v0', '--iterations', '1', '--out', join(dir, 'u')), 'policy.normalizeActions', 'needs finite bounds', '"normalizeActions": false');
    expectUserError(metarl('train', '--env-module', odd, '--env', 'NoOracle-v0', '--algo', 'oracle', '--preset', 'tiny', '--out', join(dir, 'o')), 'algo', 'NoOracle-v0 has no oracle view', 'taskVector');
  }, 60_000);

  it('a supervised env of its own gets a supervised preset without --preset', () => {
    const line = envModule(
      'line',
      "class LineRegression extends SineRegressionEnv { override readonly id = 'LineRegression-v0'; override target(x: number, task = this.getTask()) { return 0.2 * task.amplitude * x + task.phase; } }",
      "register({ id: 'LineRegression-v0', factory: () => new LineRegression(), description: 'lines' });",
    );
    const out = join(dir, 'line');
    const t = metarl('train', '--env-module', line, '--env', 'LineRegression-v0', '--iterations', '2', '--out', out);
    expect(t.code, t.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).config;
    expect([config.algo, config.supervised.shots]).toEqual(['maml', 10]);
    // And --preset tiny is the supervised tiny (it was the RL one, told from the id, and training refused it).
    const tiny = metarl('train', '--env-module', line, '--env', 'LineRegression-v0', '--preset', 'tiny', '--iterations', '1', '--out', join(dir, 'line-tiny'));
    expect(tiny.code, tiny.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'line-tiny', 'config.json'), 'utf8')).config.algo).toBe('maml');
  }, 60_000);

  it('check: the env checker passes the example and lists what is wrong with a faulty env (exit 1)', () => {
    const ok = metarl('check', '--env-module', RING);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('NavigationRing-v0: ok');
    const leaky = envModule(
      'leaky',
      "class Leaky extends Navigation2DEnv { override readonly id = 'Leaky-v0'; override step(a: Float32Array) { return { ...super.step(a), reward: Number.NaN }; } }",
      "register({ id: 'Leaky-v0', factory: () => new Leaky(), description: 'NaN rewards' });",
    );
    const bad = metarl('check', '--env-module', leaky, '--tasks', '2');
    expect(bad.code).toBe(1);
    // The same fault in both tasks is said once, naming them.
    expect(bad.stdout).toBe('Leaky-v0: 1 problem\n  - tasks 1, 2, step() at t = 0: reward NaN is not a finite number\n');
    expectUserError(metarl('check', '--env', 'Nope-v0'), 'unknown env id "Nope-v0"');
    // Every registered env, with the Omniglot ones skipped when their data is missing (not failed).
    const all = spawnSync(process.execPath, [join(ROOT, 'bin', 'metarl.mjs'), 'check', '--tasks', '2'], { encoding: 'utf8', env: { ...process.env, METARL_OMNIGLOT: join(dir, 'no-such.zip') } });
    expect(all.status, all.stdout).toBe(0);
    expect(all.stdout).toMatch(/^Omniglot5Way1Shot-v0: skipped \(Omniglot data not found/m);
    expect(all.stdout).toMatch(/^Navigation2D-v0: ok$/m);
    const nothing = envModule('nothing', 'export const unused = [Navigation2DEnv, SineRegressionEnv, register].length;');
    expectUserError(metarl('check', '--env-module', nothing), '--env-module', 'registered no env: nothing to check');
    expectUserError(metarl('check', '--env-module', RING, '--env-module', nothing), '--env-module', nothing, 'registered no env');
    // A factory that throws is the checker's to report, with --env too.
    const broken = envModule('broken-factory', "register({ id: 'Broken-v0', factory: () => { throw new Error('no such asset'); }, description: 'broken' });");
    const b2 = metarl('check', '--env-module', broken, '--env', 'Broken-v0');
    expect(b2.code, b2.stderr).toBe(1);
    expect(b2.stdout).toBe('Broken-v0: 1 problem\n  - the factory threw: no such asset\n');

    // Training on the faulty env: the sampler refuses the NaN reward, and the message points to check.
    const t = metarl('train', '--env-module', leaky, '--preset', 'tiny', '--iterations', '1', '--workers', '1', '--out', join(dir, 'leaky-run'));
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('metarl: the env does not keep the env contract: task 1 of 4 ');
    expect(t.stderr).toContain(`metarl: \`metarl check --env-module ${leaky}\` checks it`);
  }, 60_000);

  it('a missing, directory or broken module is a user error naming --env-module and the file', () => {
    expectUserError(metarl('train', '--env-module', join(dir, 'nope.ts'), '--env', 'NavigationRing-v0', '--out', join(dir, 'y')), '--env-module', 'file not found', 'nope.ts');
    expectUserError(metarl('evaluate', '--env-module', dir, '--run', run), '--env-module', 'is a directory');
    const broken = join(dir, 'broken.mts');
    writeFileSync(broken, "throw new Error('this env module is broken');\n");
    expectUserError(metarl('compare', '--env-module', broken, '--env', 'Navigation2D-v0', '--out', join(dir, 'z')), '--env-module', 'failed to load', 'this env module is broken', `(at ${broken}:1:`);
    // A misspelt import names no place in metarl (it pointed at the import call in scripts/commands.ts).
    const typo = join(dir, 'typo.mts');
    writeFileSync(typo, `import { registr } from ${JSON.stringify(pathToFileURL(join(ROOT, 'envs', 'index.ts')).href)};\nregistr();\n`);
    const t = metarl('check', '--env-module', typo);
    expectUserError(t, '--env-module', "does not provide an export named 'registr'");
    expect(t.stderr).not.toContain('(at ');
    // A .ts file with no "type": "module" package.json above it is CommonJS to Node, which cannot import metarl.
    const cjs = join(dir, 'cjs.ts');
    writeFileSync(cjs, `import { register } from ${JSON.stringify(pathToFileURL(join(ROOT, 'envs', 'index.ts')).href)};\nexport const r = register;\n`);
    expectUserError(metarl('check', '--env-module', cjs), '--env-module', 'Node loads it as CommonJS', 'name it cjs.mts, or put a package.json with "type": "module" in its directory');
  }, 60_000);
});
