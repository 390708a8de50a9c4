/**
 * The library checks what a caller from code passes, as the command line checks its flags: bad
 * options and configs are ConfigErrors naming the option (as code names it, not as a flag) and the
 * value; a resumed run must be given the run's config; a new run that fails before its first
 * iteration ends leaves its directory as it found it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { ConfigError, resolveConfig, type TrainConfig } from '../../src/config.ts';
import { assertNoRun, checkAlgoForEnv, train, trainingStop, type TrainOptions } from '../../agents/trainer.ts';
import { compareMethods, evaluationTasks, type CompareOptions } from '../../agents/compare.ts';
import { evaluateSupervised, heldOutTasks } from '../../agents/supervised-meta.ts';
import type { SupervisedMetaEnv } from '../../src/types.ts';
import { selectCheckpoint } from '../../agents/select.ts';
import { benchMetaIterations } from '../../agents/bench.ts';
import { loadOmniglot } from '../../envs/omniglot-files.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { UnknownEnvError, listEnvs, make, register } from '../../envs/index.ts';
import { envFactory } from '../../envs/factory.ts';
import { evaluateAdaptation } from '../../src/evaluation.ts';
import { GaussianMlpPolicy } from '../../src/policy.ts';
import { TEST_SEED, createRng } from '../../src/rng.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/checkpoint.ts';
import { checkEnv } from '../../envs/check.ts';
import { inspectCheckpoint } from '../../agents/inspect.ts';
import { readTaskFile } from '../../src/task-file.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-lib-'));
const tiny = (o: object = {}) => resolveConfig('Navigation2D-v0', 'tiny', { iterations: 1, ...o });

/** The ConfigError `f` throws (synchronously or as a rejection); fails the test if it throws none or another error. */
async function configError(f: () => unknown): Promise<ConfigError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError; nothing was thrown');
}

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

describe('train from code', () => {
  it('refuses bad options and configs before writing anything, naming the option as code passes it', async () => {
    const bad: [TrainConfig, Partial<TrainOptions>, string, string][] = [
      [tiny(), { keepEvery: -1 }, 'keepEvery: must be a positive integer (got -1)', ''],
      [tiny(), { stopAfter: -1 }, 'stopAfter: must be an integer ≥ 0 (got -1)', ''],
      [tiny(), { workers: 1.5 }, 'workers: must be a positive integer (got 1.5)', ''],
      [tiny({ checkpointEvery: 2 }), { keepEvery: 3 }, 'keepEvery: must be a multiple of checkpointEvery (2)', ''],
      [tiny(), { resume: true, initFrom: '/nowhere' }, 'initFrom: cannot be given with resume: true', ''],
      [{ ...tiny(), iterations: -1 }, {}, 'iterations: must be a positive integer (got -1)', ''],
      [{ ...tiny(), sampling: { ...tiny().sampling, metaBatchSize: 0 } }, {}, 'sampling.metaBatchSize: must be a positive integer (got 0)', ''],
      [{ ...tiny(), bogus: 1 } as TrainConfig, {}, 'bogus: unknown config key', ''],
      [{ ...tiny(), workers: 2 } as TrainConfig, {}, "workers: is an option of train, not part of the config: give workers in train's options instead (got 2)", ''],
      [tiny(), { envModules: ['no/such/env-module.mts'] }, 'envModules[0]: not found (', 'a relative path is from the current directory'],
      // Found by a library trial: it failed only in the workers, seconds later.
      [tiny(), { envModules: ['https://example.org/env.mjs'] }, 'envModules[0]: is a https: URL: give a file path or a file: URL (got "https://example.org/env.mjs")', ''],
      [tiny(), { log: 'x' as never }, 'log: must be a function taking one line of text', ''],
      // Found by an API trial: an env id in the config's place was told only that it is not a JSON object.
      ['Navigation2D-v0' as never, {}, 'config: must be a config object: build it with resolveConfig(env, preset, overrides) (got "Navigation2D-v0")', ''],
      // A misspelt option was ignored (found by an API trial: worker: 2 ran on one).
      [tiny(), { worker: 2 } as never, 'worker: is not an option of train (did you mean workers?); its options: out, resume, log, stopAfter, workers, envModules, keepEvery, initFrom, signal (got 2)', ''],
      [tiny(), { signal: new AbortController() as never }, "signal: must be an AbortSignal: pass the controller's .signal", ''],
      // A partial config would train with the plain reference values, not the preset's (normalizeActions false for navigation).
      [{ env: 'Navigation2D-v0', iterations: 1 } as TrainConfig, {}, 'is missing from the config (and ', 'build it with resolveConfig(env, preset, overrides)'],
      [(() => { const c = tiny(); delete (c.policy as Partial<TrainConfig['policy']>).normalizeActions; return c; })(), {}, 'policy.normalizeActions: is missing from the config: build it with resolveConfig', ''],
    ];
    for (const [cfg, opts, message, more] of bad) {
      // An existing directory: writing and then removing a file in it would change its mtime.
      const out = tmp();
      writeFileSync(join(out, 'notes.txt'), 'mine');
      const before = statSync(out).mtimeMs;
      const e = await configError(() => train(cfg, { out, ...opts }));
      expect(e.message).toContain(message);
      expect(e.message).toContain(more);
      expect(e.message).not.toMatch(/--[a-z]/);
      expect(trainingStop(e), message).toBeUndefined();
      expect(statSync(out).mtimeMs, message).toBe(before);
      expect(readdirSync(out)).toEqual(['notes.txt']);
    }
    // An out that is a file, or runs through one.
    const file = join(tmp(), 'f.txt');
    writeFileSync(file, 'x');
    expect((await configError(() => train(tiny(), { out: file }))).message).toBe(`out: is a file, not a directory (got ${JSON.stringify(file)})`);
    expect((await configError(() => train(tiny(), { out: join(file, 'r') }))).message).toBe(`out: cannot be made: ${file} is a file, not a directory (got ${JSON.stringify(join(file, 'r'))})`);
    // A config.json that is not a run's is never overwritten.
    const mine = tmp();
    writeFileSync(join(mine, 'config.json'), '{"mine": true}');
    expect((await configError(() => train(tiny(), { out: mine }))).message).toContain('out: holds a config.json but no run');
    expect(readFileSync(join(mine, 'config.json'), 'utf8')).toBe('{"mine": true}');
    // An empty log and no config (a new run stopped between its first two writes, found by a crash
    // trial): nothing to lose, so a new run may start there; a log with a line is a run's.
    const unstarted = tmp();
    writeFileSync(join(unstarted, 'progress.jsonl'), '');
    expect(() => assertNoRun(unstarted)).not.toThrow();
    writeFileSync(join(unstarted, 'progress.jsonl'), '{"iteration":0}\n');
    expect(() => assertNoRun(unstarted)).toThrow('out: holds a run that has no checkpoint yet and no valid config recorded');
    // A key set to undefined is a key not given, so missing.
    const undef = await configError(() => train({ ...tiny(), policy: { ...tiny().policy, normalizeActions: undefined as unknown as boolean } }, { out: join(tmp(), 'run') }));
    expect(undef.message).toContain('policy.normalizeActions: is missing from the config');
    expect((await configError(() => train(tiny(), { out: '' }))).message).toBe('out: must be the path of the run directory (a non-empty string) (got "")');
    expect((await configError(() => train(tiny(), undefined as unknown as TrainOptions))).field).toBe('options');
  });

  it('resuming needs the run and its config: a config that differs is refused, naming the field and both values', async () => {
    const out = join(tmp(), 'run');
    const cfg = tiny({ iterations: 1 });
    await train(cfg, { out });
    const progress = readFileSync(join(out, 'progress.jsonl'), 'utf8');
    const e = await configError(() => train({ ...cfg, iterations: 2, adaptation: { ...cfg.adaptation, fastLr: 0.5 } }, { out, resume: true }));
    expect(e.message).toBe(
      `adaptation.fastLr: differs from the config of the run being resumed in ${out} (${cfg.adaptation.fastLr}): a resumed run keeps its config, and only iterations may change (start from loadCheckpoint(out).meta.config) (got 0.5)`,
    );
    const seed = await configError(() => train({ ...cfg, iterations: 2, seed: 99 }, { out, resume: true }));
    expect(seed.field).toBe('seed');
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8')).toBe(progress);
    // Only iterations may change, and they must grow.
    const done = await configError(() => train(cfg, { out, resume: true }));
    expect(done.message).toBe(`iterations: nothing to do: the run in ${out} is already at iteration 1; give iterations a larger value to train on (got 1)`);
    const { records } = await train({ ...cfg, iterations: 2 }, { out, resume: true });
    expect(records.map((r) => r.iteration)).toEqual([1]);
    // A new run in the same place, and a resume of nothing.
    expect((await configError(() => train(cfg, { out }))).message).toContain('out: already holds a run; resume it (resume: true) or choose another directory');
    const none = join(tmp(), 'none');
    expect((await configError(() => train(cfg, { out: none, resume: true }))).message).toBe(`out: run directory not found (there is nothing to resume) (got ${JSON.stringify(none)})`);
    // A snapshot is kept as it is: resuming in it would replace the parameters it keeps.
    const snapped = join(tmp(), 'snapped');
    await train({ ...cfg, iterations: 2 }, { out: snapped, keepEvery: 1 });
    const snap = join(snapped, 'snapshots', 'it1');
    const weights = readFileSync(join(snap, 'checkpoint', 'weights.bin'));
    const s = await configError(() => train({ ...cfg, iterations: 3 }, { out: snap, resume: true }));
    expect(s.message).toBe(`out: is a snapshot of the run ${snapped}, kept as it is: resume the run itself, or start a new run from the snapshot with initFrom: ${JSON.stringify(snap)} (got ${JSON.stringify(snap)})`);
    // Through a link to it too.
    const best = join(tmp(), 'best');
    symlinkSync(snap, best);
    expect((await configError(() => train({ ...cfg, iterations: 3 }, { out: best, resume: true }))).message).toContain(`out: is a snapshot of the run ${snapped}`);
    expect(readFileSync(join(snap, 'checkpoint', 'weights.bin'))).toEqual(weights);
    expect(existsSync(join(snap, 'progress.jsonl'))).toBe(false);
  }, 60_000);

  it('a new run that fails in its first iteration removes what it wrote, so the same call can be made again', async () => {
    let fail = true;
    class Flaky extends Navigation2DEnv {
      override readonly id = 'FlakyLib-v0';
      override reset(o?: { seed?: number }) {
        if (fail) throw new Error('the env is not ready');
        return super.reset(o);
      }
    }
    register({ id: 'FlakyLib-v0', factory: () => new Flaky(), description: 'fails until told not to' });
    const cfg = resolveConfig('FlakyLib-v0', 'tiny', { iterations: 1 });
    // The directories train makes are removed; one that was there is kept, without train's files.
    const parent = tmp();
    const made = join(parent, 'a', 'run');
    const given = tmp();
    writeFileSync(join(given, 'notes.txt'), 'mine');
    for (const out of [made, given]) {
      const err = await train(cfg, { out }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(String(err)).toContain('the env is not ready');
      expect(trainingStop(err)).toEqual({ iteration: 1, out, iterations: 1, checkpoint: null, removed: true });
    }
    expect(readdirSync(parent)).toEqual([]);
    expect(readdirSync(given)).toEqual(['notes.txt']);
    // A folder train made that another process wrote in meanwhile is kept, with what it wrote (found
    // by a crash trial: a second run started beside the first was removed with it).
    const shared = join(tmp(), 'exp');
    const other = join(shared, 'other-run', 'progress.jsonl');
    const log = () => {
      if (existsSync(shared) && !existsSync(other)) {
        mkdirSync(dirname(other));
        writeFileSync(other, '{"iteration":0}\n');
      }
    };
    const err = await train(cfg, { out: join(shared, 'run'), log }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(trainingStop(err)?.removed).toBe(true);
    expect(readdirSync(shared)).toEqual(['other-run']);
    expect(readFileSync(other, 'utf8')).toBe('{"iteration":0}\n');
    fail = false;
    const { records } = await train(cfg, { out: made });
    expect(records).toHaveLength(1);
  }, 60_000);

  it('a run whose agent cannot be made (no gradient fix) is refused before it writes anything', async () => {
    const out = join(tmp(), 'run');
    await initBackend('wasm', { log: () => {}, secondOrderFix: false });
    try {
      const err = await train(tiny(), { out }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(String(err)).toContain("call `await initBackend('auto')`");
      // Refused, not stopped: there is no run to go on from or to remove.
      expect(trainingStop(err)).toBeUndefined();
      expect(existsSync(out)).toBe(false);
    } finally {
      await initBackend('wasm', { log: () => {} });
    }
  });

  it('a run that fails after an iteration keeps its files (its progress)', async () => {
    let late = false;
    class Late extends Navigation2DEnv {
      override readonly id = 'LateLib-v0';
      override reset(o?: { seed?: number }) {
        if (late) throw new Error('late failure');
        return super.reset(o);
      }
    }
    register({ id: 'LateLib-v0', factory: () => new Late(), description: 'fails after its first iteration' });
    const out = join(tmp(), 'run');
    const cfg = resolveConfig('LateLib-v0', 'tiny', { iterations: 5, checkpointEvery: 5 });
    // The env fails from the second iteration on (the log line of the first is written after it).
    const err = await train(cfg, { out, log: (l) => (late ||= l.startsWith('it ')) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(trainingStop(err)).toEqual({ iteration: 2, out, iterations: 5, checkpoint: null, removed: false });
    expect(readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(out, 'config.json'))).toBe(true);
  }, 60_000);
});

describe('train from code, stopping', () => {
  it.each([1, 2])('an AbortSignal aborted by a timer stops the run after the iteration under way (%i workers)', async (workers) => {
    const out = join(tmp(), 'run');
    const stop = new AbortController();
    // Sine iterations take milliseconds: the timer fires while the run has most of its 3000 to go
    // (a run that ignored it would end after all of them, ~10 s, and fail below).
    setTimeout(() => stop.abort(), 300);
    const cfg = resolveConfig('SineRegression-v0', 'tiny', { iterations: 3000, checkpointEvery: 3000 });
    const { records, interrupted } = await train(cfg, { out, workers, signal: stop.signal });
    expect(interrupted).toBe(true);
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(3000);
  }, 60_000);
});

describe('train from code, env modules in the workers', () => {
  it('a module that fails to load in a worker is named (found by a library-API trial: only its own message was given)', async () => {
    const dir = tmp();
    const mod = join(dir, 'workers-only-fault.mjs');
    writeFileSync(mod, "import { isMainThread } from 'node:worker_threads';\nif (!isMainThread) throw new Error('fails in workers');\n");
    const e = await train(tiny(), { out: join(dir, 'run'), workers: 2, envModules: [mod] }).then(() => null, (x: Error) => x);
    expect(e?.message).toMatch(/env module 1 of 1 \(file:.*workers-only-fault\.mjs\) failed to load in the worker: fails in workers/);
  }, 60_000);
});

describe('train from code, an env named only in envModules', () => {
  it('is imported in this thread too when the env is not registered (found by an API trial: the env id was unknown), and a module that fails is named', async () => {
    const dir = tmp();
    const mod = join(dir, 'own-env.mts');
    const repo = join(import.meta.dirname, '..', '..');
    writeFileSync(
      mod,
      [
        `import { register } from ${JSON.stringify(join(repo, 'envs', 'index.ts'))};`,
        `import { Navigation2DEnv } from ${JSON.stringify(join(repo, 'envs', 'navigation-2d.ts'))};`,
        "class Own extends Navigation2DEnv { id = 'LibEnvModuleOnly-v0'; }",
        "register({ id: 'LibEnvModuleOnly-v0', factory: () => new Own(), description: 'test' });",
      ].join('\n'),
    );
    expect(() => make('LibEnvModuleOnly-v0')).toThrow(UnknownEnvError);
    const cfg = resolveConfig('LibEnvModuleOnly-v0', 'tiny', { iterations: 1 });
    const { records } = await train(cfg, { out: join(dir, 'run'), envModules: [mod] });
    expect(records).toHaveLength(1);
    expect(make('LibEnvModuleOnly-v0').id).toBe('LibEnvModuleOnly-v0');
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, "throw new Error('this module cannot be imported');\n");
    const e = await configError(() => train(resolveConfig('LibEnvNowhere-v0', 'tiny', { iterations: 1 }), { out: join(dir, 'run2'), envModules: [broken] }));
    expect(e.message).toBe(`envModules[0]: failed to load: this module cannot be imported (got ${JSON.stringify(broken)})`);
    expect(existsSync(join(dir, 'run2'))).toBe(false);
    // Found by a library trial: a module that loads but registers another env gave only "unknown env id".
    const other = join(dir, 'other-env.mts');
    writeFileSync(other, readFileSync(mod, 'utf8').replaceAll('LibEnvModuleOnly-v0', 'LibEnvOther-v0'));
    const o = await configError(() => train(resolveConfig('LibEnvOthr-v0', 'tiny', { iterations: 1 }), { out: join(dir, 'run3'), envModules: [other] }));
    expect(o.message).toBe(`env: is not registered by envModules (${other}), which loaded: they register LibEnvOther-v0 (did you mean LibEnvOther-v0?) (got "LibEnvOthr-v0")`);
    expect(existsSync(join(dir, 'run3'))).toBe(false);
  }, 60_000);
});

describe('train from code, a signal aborted before the call', () => {
  it('runs no iteration (found by a library-API trial: it ran one), and a resume then starts the run', async () => {
    const out = join(tmp(), 'run');
    const stop = new AbortController();
    stop.abort();
    const cfg = resolveConfig('SineRegression-v0', 'tiny', {});
    const r = await train(cfg, { out, signal: stop.signal });
    expect(r.interrupted).toBe(true);
    expect(r.records).toEqual([]);
    expect(existsSync(join(out, 'checkpoint'))).toBe(false);
    expect((await train(cfg, { out, resume: true })).records.map((x) => x.iteration)).toEqual([0, 1, 2]);
  }, 60_000);
});

describe('compareMethods, selectCheckpoint, resolveConfig and initBackend from code', () => {
  const base = (o: Partial<CompareOptions>): CompareOptions => ({ env: 'Navigation2D-v0', methods: [{ name: 'random' }], tasks: 2, steps: 1, episodes: 2, seed: 1, ...o });

  it('compareMethods refuses an unknown env and bad counts before evaluating', async () => {
    expect(() => compareMethods(base({ env: 'Nav-v9' }))).toThrow(UnknownEnvError);
    const cases: [Partial<CompareOptions>, string][] = [
      [{ methods: [] }, 'methods: name at least one method to compare'],
      [{ methods: [{ name: 'random' }, { name: 'random' }] }, 'methods[1].name: is given twice (got "random")'],
      [{ methods: [{ name: 'random', lr: -1 }] }, 'methods[0].lr: must be > 0 (got -1)'],
      // Found by an API trial: a string was told to be > 0.
      [{ methods: [{ name: 'random', lr: '0.1' as never }] }, 'methods[0].lr: must be a number > 0 (got "0.1")'],
      [{ methods: [{ name: 'oracle' }] }, 'methods[0].run: is needed for oracle'],
      [{ methods: [{ name: 'pretrained' }] }, 'methods[0].run: is needed for pretrained: the name stands for a trained run'],
      [{ methods: [{ name: 'random' }, { name: 'maml' }] }, 'methods[1].run: is needed for maml'],
      [{ tasks: 0 }, 'tasks: must be a positive integer (got 0)'],
      [{ steps: -1 }, 'steps: must be an integer ≥ 0 (got -1)'],
      [{ steps: 1.5 }, 'steps: must be an integer ≥ 0 (got 1.5)'],
      [{ episodes: 0 }, 'episodes: must be a positive integer (got 0)'],
      [{ seed: -2 }, 'seed: must be an integer ≥ 0 (got -2)'],
      [{ seed: undefined }, 'seed: is required: an integer ≥ 0'],
      [{ taskList: [] }, 'taskList: must hold at least one task'],
      [{ methods: [{ name: 'maml', run: '/no/such/run' }] }, 'methods[0].run: run directory not found (got "/no/such/run")'],
      // A misspelt option was ignored (found by an API trial).
      [{ batchTimestep: 100 } as never, 'batchTimestep: is not an option of compareMethods (did you mean batchTimesteps?); its options: env, methods,'],
      // Found by a library trial: a misspelt key turned a trained run into random init under its name.
      [{ methods: [{ name: 'mine', path: '/some/run' } as never] }, 'methods[0].path: is not an option of a compareMethods method; its options: name, run, lr (got "/some/run")'],
      [{ methods: [{ name: 'mine', runs: '/some/run' } as never] }, 'methods[0].runs: is not an option of a compareMethods method (did you mean run?)'],
      [{ methods: ['maml' as never] }, 'methods[0]: must be an object ({ name, run?, lr? }) (got "maml")'],
      [{ taskList: [{ goal: [0.1, 0.2] }] }, 'tasks: differs from the 1 task of taskList, which gives the tasks: leave tasks out (got 2)'],
      [{ shots: 5 }, 'shots: is for supervised envs; Navigation2D-v0 adapts on episodes (episodes per task and step) (got 5)'],
      [{ onProgress: 3 as never }, 'onProgress: must be a function (got 3)'],
    ];
    for (const [o, message] of cases) expect((await configError(() => compareMethods(base(o)))).message).toContain(message);
    // The valid call runs.
    expect(compareMethods(base({})).methods[0]!.steps).toHaveLength(2);
  });

  it('compareMethods needs episodes on an RL env only, and refuses them on a supervised one', async () => {
    const e = await configError(() => compareMethods(base({ episodes: undefined })));
    expect(e.message).toContain('episodes: is needed for Navigation2D-v0');
    const sine = { env: 'SineRegression-v0', methods: [{ name: 'random' }], tasks: 2, steps: 1, seed: 1 };
    expect((await configError(() => compareMethods({ ...sine, episodes: 5 }))).message).toContain("episodes: is for RL envs; SineRegression-v0 adapts on the runs' K support examples (shots sets another K)");
    const r = compareMethods(sine);
    // The tasks compare (and evaluate) score on, for one's own lower-level evaluation.
    expect(evaluationTasks(make('SineRegression-v0'), 2, 1)).toEqual(r.taskList);
    expect(evaluationTasks(make('Navigation2D-v0'), 2, 1)).toEqual(compareMethods(base({})).taskList);
    expect(evaluationTasks(make('Navigation2D-v0'), 2)).not.toEqual(compareMethods(base({})).taskList);
    expect(r.metric).toBe('mse');
    expect(r.episodes).toBe(resolveConfig('SineRegression-v0', 'sine').supervised.shots);
    expect(r.methods[0]!.steps).toHaveLength(2);
  });

  it('selectCheckpoint refuses the test seed before reading the run', async () => {
    const e = await configError(() => selectCheckpoint({ run: '/nowhere', seed: TEST_SEED, tasks: 2, steps: 1, episodes: 2 }));
    expect(e.message).toMatch(/^seed: is the seed of the test tasks/);
    expect((await configError(() => selectCheckpoint({ run: '/nowhere', seed: 5, tasks: 2, steps: 1, episodes: 2, fromStep: 2 as 0 }))).field).toBe('fromStep');
    expect((await configError(() => selectCheckpoint({ run: '/nowhere', seed: 5, tasks: 2, steps: 1, episodes: 2 }))).message).toBe('run: run directory not found (got "/nowhere")');
    expect((await configError(() => selectCheckpoint({ seed: 5, tasks: 2, steps: 1, episodes: 2 } as never))).message).toBe('run: must be the path of a run directory');
    // Misspelt options are named, here and in the other functions taking options (found by an API trial in train, compareMethods and checkEnv).
    expect((await configError(() => selectCheckpoint({ run: '/nowhere', seed: 5, tasks: 2, steps: 1, episodes: 2, fromstep: 0 } as never))).message).toMatch(/^fromstep: is not an option of selectCheckpoint \(did you mean fromStep\?\)/);
    expect((await configError(() => benchMetaIterations({ env: 'Navigation2D-v0', iteration: 2 } as never))).message).toMatch(/^iteration: is not an option of benchMetaIterations \(did you mean iterations\?\)/);
    expect((await configError(() => loadOmniglot('/nowhere', { limitClass: 2 } as never))).message).toMatch(/^limitClass: is not an option of loadOmniglot \(did you mean limitClasses\?\)/);
  });

  it('resolveConfig refuses an override naming another env; initBackend refuses an unknown backend', async () => {
    const e = await configError(() => resolveConfig('Navigation2D-v0', undefined, { env: 'HalfCheetahVel-v0' }));
    expect(e.message).toContain('env: differs from the env the config is resolved for ("Navigation2D-v0")');
    expect(resolveConfig('Navigation2D-v0', undefined, { env: 'Navigation2D-v0' }).env).toBe('Navigation2D-v0');
    // A run's whole config.json as overrides (the README accepts it for --config): its config is one field of it.
    const whole = { config: tiny(), versions: {} };
    expect((await configError(() => resolveConfig('Navigation2D-v0', undefined, whole))).message).toBe('config: is the config field of a run\'s config.json, not a config key: pass the file\'s .config as the overrides (or the file itself with --config) (got "{…}")');
    expect(resolveConfig('Navigation2D-v0', undefined, whole.config)).toEqual(tiny());
    const b = await configError(() => initBackend('gpu' as 'cpu'));
    expect(b.message).toBe('backend: must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu (did you mean tensorflow-gpu?) (got "gpu")');
    // Options misspelt or of the wrong type were taken silently (found by a library-API trial).
    expect((await configError(() => initBackend('wasm', { secondOrderFix: 'yes' as never }))).message).toBe('secondOrderFix: must be true or false (got "yes")');
    expect((await configError(() => initBackend('wasm', { secondOrderfix: false } as never))).message).toBe('secondOrderfix: is not an option of initBackend (log, secondOrderFix, wasmKernelFixes, wasmPaths) (did you mean secondOrderFix?) (got false)');
    expect((await configError(() => initBackend('wasm', { wasmPaths: '/tfjs-wasm' }))).message).toBe('wasmPaths: must be the URL of the folder serving the .wasm files, ending in \'/\' (e.g. \'/tfjs-wasm/\') (got "/tfjs-wasm")');
  });
});

describe('supervised envs and the lower-level pieces from code', () => {
  it('metarl/agents knows the Omniglot ids, and exports envFactory and inspectCheckpoint', async () => {
    const agents = await import('../../agents/index.ts');
    expect(listEnvs()).toEqual(expect.arrayContaining(['Omniglot5Way1Shot-v0', 'Omniglot20Way5Shot-v0']));
    expect(typeof agents.envFactory).toBe('function');
    expect(typeof agents.inspectCheckpoint).toBe('function');
  });

  it('refuses protonet on a regression env, and an RL config on a supervised env, saying which preset to use', async () => {
    const proto = await configError(() => train(resolveConfig('SineRegression-v0', 'tiny', { algo: 'protonet' }), { out: join(tmp(), 'run') }));
    expect(proto.message).toMatch(/^algo: classifies by class prototypes, and SineRegression-v0 is a regression env/);
    const rl = await configError(() => train(resolveConfig('SineRegression-v0', 'navigation', { iterations: 1 }), { out: join(tmp(), 'run') }));
    expect(rl.message).toContain('policy.normalizeActions: comes from an RL preset, and SineRegression-v0 is a supervised env, which needs a supervised preset: resolve it with resolveConfig(make("SineRegression-v0")), which picks sine, or resolveConfig("SineRegression-v0", "sine")');
    // The right preset with an RL algo: the algos that apply.
    const algo = await configError(() => train(resolveConfig('SineRegression-v0', 'sine', { algo: 'maml-trpo' }), { out: join(tmp(), 'run') }));
    expect(algo.message).toMatch(/^algo: does not apply to SineRegression-v0; use one of maml, /);
    expect(algo.message).toContain('(the RL presets set maml-trpo: for SineRegression-v0 resolve the config with resolveConfig("SineRegression-v0", "sine"))');
    // Sine defines taskVector, but a supervised env has no oracle (it trained as an RL problem).
    const oracle = await configError(() => train(resolveConfig('SineRegression-v0', 'sine', { algo: 'oracle', iterations: 1 }), { out: join(tmp(), 'run') }));
    expect(oracle.message).toMatch(/^algo: applies to RL envs, and SineRegression-v0 is a supervised env/);
    // Settings that would do nothing, changed from the preset's (found by a library-API trial: accepted silently).
    const idle: [TrainConfig, string][] = [
      [resolveConfig('SineRegression-v0', 'sine', { trpo: { maxKl: 0.02 } }), 'trpo.maxKl: applies to RL envs (the TRPO outer step); SineRegression-v0 trains with Adam on its query loss (supervised.outerLr) (got 0.02)'],
      [resolveConfig('SineRegression-v0', 'sine', { advantages: { gamma: 0.5 } }), 'advantages.gamma: applies to RL envs (returns and their baseline)'],
      [resolveConfig('SineRegression-v0', 'sine', { sampling: { fastBatchSize: 5 } }), 'sampling.fastBatchSize: sets the episodes per task of RL envs; SineRegression-v0 adapts on supervised.shots examples (got 5)'],
      [resolveConfig('SineRegression-v0', 'sine', { algo: 'meta-sgd', adaptation: { firstOrder: true } }), 'adaptation.firstOrder: has no effect with algo meta-sgd (it learns its step sizes through the second-order term); it applies to maml (which it makes fomaml) and anil'],
      [resolveConfig('SineRegression-v0', 'sine', { algo: 'pretrained', adaptation: { numInnerSteps: 3 } }), 'adaptation.numInnerSteps: has no effect with algo pretrained'],
      [resolveConfig('SineRegression-v0', 'sine', { supervised: { convFilters: 8 } }), "supervised.convFilters: sizes the conv net of the classification envs; SineRegression-v0's model is an MLP (policy.hiddenSizes) (got 8)"],
      [resolveConfig('SineRegression-v0', 'sine', { policy: { initStd: 0.5 } }), "policy.initStd: sets the initial σ of an RL env's Gaussian policy; SineRegression-v0's model has none (got 0.5)"],
      [tiny({ supervised: { outerLr: 0.01 } }), 'supervised.outerLr: applies to supervised envs, not Navigation2D-v0 (got 0.01)'],
      [tiny({ algo: 'pretrained', adaptation: { numInnerSteps: 3 } }), 'adaptation.numInnerSteps: has no effect with algo pretrained, which trains without inner steps'],
      // Found by a README trial: accepted silently.
      [tiny({ adaptation: { laterStepsLrFactor: 0.5 } }), 'adaptation.laterStepsLrFactor: scales the step size of inner steps after the first in training; this config has algo maml-trpo with 1 inner step (evaluate and compare take their own step sizes) (got 0.5)'],
      [tiny({ algo: 'oracle', adaptation: { laterStepsLrFactor: 0.5 } }), 'this config has algo oracle with 1 inner step'],
      [tiny({ trpo: { fvp: 'exact', fdShift: 0.01 } }), 'trpo.fdShift: is the shift of the finite-difference Fisher-vector product, and trpo.fvp is "exact" (got 0.01)'],
    ];
    // Where they do something, they are taken.
    for (const cfg of [tiny({ adaptation: { numInnerSteps: 2, laterStepsLrFactor: 0.5 } }), tiny({ trpo: { fdShift: 0.01 } })]) expect(() => checkAlgoForEnv(cfg, new Navigation2DEnv())).not.toThrow();
    for (const [cfg, message] of idle) expect((await configError(() => train(cfg, { out: join(tmp(), 'run') }))).message).toContain(message);
    // A value some preset gives is that preset's doing, not the caller's: the omniglot preset on sine trains (found by a review).
    for (const algo of ['maml', 'protonet'] as const) {
      const env = algo === 'maml' ? 'SineRegression-v0' : 'Omniglot5Way1Shot-v0';
      const other = algo === 'maml' ? 'omniglot' : 'sine';
      expect(() => checkAlgoForEnv(resolveConfig(env, other, { algo: algo === 'maml' ? 'maml' : 'pretrained' }), { id: env, sampleBatch: () => null, loss: algo === 'maml' ? 'mse' : 'cross-entropy' } as never)).not.toThrow();
    }
  });

  it('an agent made from code steps as the trainer does without being given the root stream', async () => {
    const { MamlTrpo } = await import('../../agents/maml-trpo.ts');
    const { SupervisedMetaLearner } = await import('../../agents/supervised-meta.ts');
    for (const cfg of [tiny(), resolveConfig('SineRegression-v0', 'tiny', { iterations: 1 })]) {
      const out = join(tmp(), 'run');
      await train(cfg, { out, log: () => {} });
      const makeEnv = envFactory(cfg);
      const env = makeEnv();
      const supervised = cfg.env.startsWith('Sine');
      const stepped = async (root?: number) => {
        const agent = supervised
          ? new SupervisedMetaLearner(cfg, env as SupervisedMetaEnv, SupervisedMetaLearner.initParams(cfg, env as SupervisedMetaEnv, createRng(cfg.seed)))
          : new MamlTrpo(cfg, makeEnv, MamlTrpo.initParams(cfg, makeEnv, createRng(cfg.seed)));
        if (root !== undefined) agent.rootRng = createRng(root);
        await agent.step(env, 0);
        return agent.params.map((p) => Array.from(Float32Array.from(p)));
      };
      const trained = loadCheckpoint(out).params.map((p) => Array.from(p));
      expect(await stepped(), cfg.env).toEqual(trained);
      // Another root stream draws other tasks: other parameters (the stream is what the step depends on).
      expect(await stepped(cfg.seed + 1), cfg.env).not.toEqual(trained);
    }
  }, 120_000);

  it("compareMethods' lr scales a Meta-SGD run's learned rates, as it scales an RL run's multipliers", async () => {
    const cfg = resolveConfig('SineRegression-v0', 'sine', { algo: 'meta-sgd', iterations: 2, checkpointEvery: 1, policy: { hiddenSizes: [8, 8] }, sampling: { metaBatchSize: 4 } });
    const out = join(tmp(), 'meta-sgd');
    await train(cfg, { out });
    const base = { env: 'SineRegression-v0', tasks: 4, steps: 1, seed: 3 };
    const c = compareMethods({ ...base, methods: [{ name: 'as-run', run: out }, { name: 'doubled', run: out, lr: 2 * cfg.adaptation.fastLr }] });
    const [asRun, doubled] = c.methods.map((m) => m.steps[1]!.mean);
    expect(doubled).not.toBe(asRun);
    // The same as evaluating the checkpoint with every learned rate doubled by hand.
    const ck = loadCheckpoint(out);
    const half = ck.params.length / 2;
    const byHand = evaluateSupervised(cfg, envFactory(cfg)() as SupervisedMetaEnv, ck.params.map((v, i) => (i < half ? v : v.map((x) => 2 * x))), {
      tasks: heldOutTasks(envFactory(cfg)() as SupervisedMetaEnv, 4, createRng(3).fork('evaluate').fork('tasks')),
      steps: 1,
      rng: createRng(3).fork('evaluate'),
    });
    expect(byHand.stats[1]!.mean).toBe(doubled);
    expect(c.methods[1]!.lr).toBe(2 * cfg.adaptation.fastLr);
    // Runs trained with different K: which K all adapt on must be said (found by a supervised-path trial: the first run's was reported, each used its own).
    const k5 = join(tmp(), 'k5');
    await train({ ...cfg, algo: 'maml', iterations: 1, supervised: { ...cfg.supervised, shots: 5 } }, { out: k5 });
    expect(() => compareMethods({ ...base, methods: [{ name: 'a', run: out }, { name: 'b', run: k5 }] })).toThrow('shots: is needed: the runs were trained with different K (a 10, b 5), and every method adapts on the same number of support examples');
    expect(compareMethods({ ...base, shots: 5, methods: [{ name: 'a', run: out }, { name: 'b', run: k5 }] }).episodes).toBe(5);
    // Named oracle: not an oracle run, and a supervised env has none (found by a supervised-path trial).
    expect(() => compareMethods({ ...base, methods: [{ name: 'oracle', run: out }] })).toThrow(`methods[0].run: is a run of algo meta-sgd, not trained with algo: "oracle"; SineRegression-v0 is a supervised env, which has no oracle (got ${JSON.stringify(out)})`);
    // Bad input to evaluateSupervised is named (found by a library-API trial: a malformed task gave NaN, the rest TypeErrors).
    const sine = envFactory(cfg)() as SupervisedMetaEnv;
    const ok = { tasks: heldOutTasks(sine, 2, createRng(3)), steps: 1, rng: createRng(3) };
    const nav = envFactory(tiny())();
    const badEval: [() => unknown, string][] = [
      [() => evaluateSupervised(cfg, sine, ck.params, { ...ok, tasks: [{ amp: 1 }] }), 'SineRegression-v0: task.amplitude must be a finite number, got undefined'],
      [() => evaluateSupervised(cfg, sine, ck.params, { ...ok, tasks: [] }), 'tasks: must hold at least one task'],
      [() => evaluateSupervised(cfg, sine, ck.params, { ...ok, step: 1 } as never), 'step: is not an option of evaluateSupervised (did you mean steps?)'],
      [() => evaluateSupervised(cfg, sine, ck.params, { ...ok, tasks: 5 as never }), 'tasks: must hold at least one task'],
      [() => evaluateSupervised(cfg, sine, ck.params, { ...ok, rng: undefined as never }), 'rng: must be an Rng, e.g. createRng(seed)'],
      [() => evaluateSupervised(cfg, nav as never, ck.params, ok), 'env: is not a supervised env (it has no sampleBatch): evaluate an RL env with evaluateAdaptation (got "Navigation2D-v0")'],
      [() => evaluateSupervised(cfg, sine, ck.params.slice(0, half), ok), `params: must hold the ${ck.params.reduce((n, p) => n + p.length, 0)} parameters of the model meta-sgd on SineRegression-v0 uses`],
    ];
    for (const [f, message] of badEval) expect(f).toThrow(message);
    // A Meta-SGD run may start from a plain MAML run of the same model (its rates start at fastLr).
    const plain = join(tmp(), 'maml');
    await train({ ...cfg, algo: 'maml', iterations: 1 }, { out: plain });
    const fromPlain = join(tmp(), 'meta-sgd-from-maml');
    const { records } = await train({ ...cfg, iterations: 1 }, { out: fromPlain, initFrom: plain });
    expect(records).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(fromPlain, 'config.json'), 'utf8')).initFrom.run).toBe(plain);
    // select is for RL runs: said first, not after asking for snapshots this run could not use.
    const sel = await configError(() => selectCheckpoint({ run: out, seed: 5, tasks: 2, steps: 1, episodes: 2 }));
    expect(sel.message).toContain('is a run of SineRegression-v0, a supervised env; select picks among the checkpoints of RL runs');
  }, 60_000);

  it('evaluateAdaptation names a bad option; loadCheckpoint says what a directory without a checkpoint is', async () => {
    const cfg = tiny();
    const makeEnv = envFactory(cfg);
    const env = makeEnv();
    const policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], cfg.policy);
    const params = policy.init(createRng(1));
    const opts = { tasks: env.sampleTasks(2, createRng(2)), steps: 1, episodes: 2, fastLr: 0.1, advantages: { ...cfg.advantages, regCoeff: cfg.baseline.regCoeff }, rng: createRng(3) };
    const bad: [object, unknown[], string][] = [
      [{ episodes: 0 }, [], 'episodes: must be a positive integer (got 0)'],
      [{ fastLr: -1 }, [], 'fastLr: must be > 0 (got -1)'],
      [{ fastLr: NaN }, [], 'fastLr: must be > 0 (got NaN)'],
      [{ tasks: [] }, [], 'tasks: must hold at least one task (got [])'],
      [{}, params.slice(1), `params: must hold the policy's ${params.length} parameter tensors (shapes ${JSON.stringify(policy.shapes)}) (got "${params.length - 1} tensors")`],
      // A learned-step-size run's checkpoint as it is (found by a library-API trial: the message did not say what to do).
      [{}, [...params, ...params], `params: must hold the policy's ${params.length} parameter tensors; twice as many are those of a run with learned step sizes (adaptation.learnedLr): pass its θ and its multipliers, const { theta, lrScale } = splitMeta(params, ${params.length}, true), as params and lrScale (got "${2 * params.length} tensors")`],
    ];
    for (const [o, p, message] of bad) {
      const e = await configError(() => evaluateAdaptation(policy, p.length > 0 ? (p as typeof params) : params, makeEnv, { ...opts, ...o }));
      expect(e.message).toBe(message);
    }
    expect(evaluateAdaptation(policy, params, makeEnv, opts)).toHaveLength(2);
    // The policy's own config, and a checkpoint whose shapes do not describe its parameters.
    expect((await configError(() => new GaussianMlpPolicy(2, 2, { ...cfg.policy, activation: 'ReLU' as 'relu' }))).message).toBe('policy.activation: must be "tanh" or "relu" (got "ReLU")');
    expect((await configError(() => new GaussianMlpPolicy(2, 2, { ...cfg.policy, initStd: -1 }))).field).toBe('policy.initStd');
    const shapesOut = tmp();
    expect(() => saveCheckpoint(shapesOut, { iteration: 0, config: cfg, obsDim: 2, actDim: 2, shapes: [[3]], rng: { seed: 1, nextIteration: 0 }, versions: {} as never }, [new Float32Array(4)])).toThrow(
      'saveCheckpoint: meta.shapes describe tensors of sizes [3], but params has [4]',
    );
    expect(readdirSync(shapesOut)).toEqual([]);
    expect((await configError(() => checkEnv(makeEnv, { tasks: 0 }))).message).toBe('tasks: must be a positive integer (got 0)');
    const out = join(tmp(), 'run');
    await train(cfg, { out });
    expect(() => loadCheckpoint(join(out, 'checkpoint'))).toThrow(/model\.json: not found \(.*checkpoint: is a checkpoint folder; pass the run directory that holds it \(its parent\)\)/);
    // inspectCheckpoint takes a checkpoint, where its neighbours take a directory; readTaskFile from code names its path.
    expect((await configError(() => inspectCheckpoint(out as never))).message).toBe(`ck: must be a checkpoint as loadCheckpoint returns it: inspectCheckpoint(loadCheckpoint(dir)) (got ${JSON.stringify(out)})`);
    expect(inspectCheckpoint(loadCheckpoint(out)).tensors.length).toBeGreaterThan(0);
    expect((await configError(() => readTaskFile('/no/tasks.json', env))).message).toBe('path: file not found (got "/no/tasks.json")');
  });
});
