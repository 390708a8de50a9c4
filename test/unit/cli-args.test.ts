/** The integer options and output-path checks shared by the CLI subcommands (`scripts/args.ts`). */
import { describe, expect, it, vi } from 'vitest';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutDir, checkOutFile, intOpt, readConfigFile, scriptArgs, scriptList, taskProgress, writeJsonFile } from '../../scripts/args.ts';
import { ConfigError } from '../../src/config.ts';

describe('intOpt', () => {
  it('returns undefined for an absent option and the integer for a valid one', () => {
    expect(intOpt('tasks', undefined, 1)).toBeUndefined();
    expect(intOpt('tasks', '40', 1)).toBe(40);
    expect(intOpt('steps', '0', 0)).toBe(0);
  });

  it('rejects values below the minimum, fractions and non-numbers, naming the flag and the value', () => {
    const cases: [string, number, RegExp][] = [
      ['0', 1, /^--tasks: must be a positive integer \(got "0"\)$/],
      ['-1', 0, /^--tasks: must be a non-negative integer \(got "-1"\)$/],
      ['2.5', 1, /^--tasks: must be a positive integer \(got "2\.5"\)$/],
      ['ten', 1, /^--tasks: must be a positive integer \(got "ten"\)$/],
      ['9007199254740993', 1, /^--tasks: must be an integer at most 9007199254740991 \(got "9007199254740993"\)$/],
      // Digits only: other ways Number() reads a string are not integers a user means.
      ['0x10', 1, /^--tasks: must be a positive integer \(got "0x10"\)$/],
      ['1e3', 1, /^--tasks: must be a positive integer \(got "1e3"\)$/],
      ['2.0', 1, /^--tasks: must be a positive integer/],
      ['', 0, /^--tasks: must be a non-negative integer/],
      [' 5', 1, /^--tasks: must be a positive integer/],
    ];
    for (const [v, min, msg] of cases) {
      let err: unknown;
      try {
        intOpt('tasks', v, min);
      } catch (e) {
        err = e;
      }
      expect(err, v).toBeInstanceOf(ConfigError);
      expect((err as Error).message, v).toMatch(msg);
    }
  });
});

describe('taskProgress', () => {
  const fake = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
  };
  it('redraws one line on a terminal, ending it after the last task', () => {
    const { writes, stream } = fake(true);
    const p = taskProgress(stream);
    for (let d = 1; d <= 3; d++) p('maml: ', d, 3);
    expect(writes).toEqual(['\r  maml: task 1/3', '\r  maml: task 2/3', '\r  maml: task 3/3\n']);
  });
  it('writes a line per tenth of the tasks elsewhere (a log file), and the last one', () => {
    const { writes, stream } = fake(false);
    const p = taskProgress(stream);
    for (let d = 1; d <= 25; d++) p('', d, 25);
    expect(writes).toEqual([3, 5, 8, 10, 13, 15, 18, 20, 23, 25].map((d) => `  task ${d}/25\n`));
    const few = fake(false);
    for (let d = 1; d <= 3; d++) taskProgress(few.stream)('', d, 3);
    expect(few.writes).toEqual(['  task 1/3\n', '  task 2/3\n', '  task 3/3\n']);
  });
});

describe('checkOutFile and checkOutDir', () => {
  /** The message of the ConfigError `f` throws, or null when it throws none. */
  const refusal = (f: () => void): string | null => {
    try {
      f();
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
  };

  it('refuse a path through a file, a trailing slash, a directory and the files of a run (links followed); take a new file in new folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metarl-out-'));
    const file = join(dir, 'f.txt');
    writeFileSync(file, 'x');
    // A run: checkpoint/model.json and weights.bin beside config.json and progress.jsonl.
    const run = join(dir, 'run');
    mkdirSync(join(run, 'checkpoint'), { recursive: true });
    for (const f of ['checkpoint/model.json', 'checkpoint/weights.bin', 'config.json', 'progress.jsonl']) writeFileSync(join(run, f), '{}');
    expect(refusal(() => checkOutFile('--json', join(file, 'x.json')))).toBe(`--json: cannot be written: ${file} is a file, not a directory (got ${JSON.stringify(join(file, 'x.json'))})`);
    expect(refusal(() => checkOutFile('--json', `${join(dir, 'new')}/`))).toMatch(/^--json: ends in a slash, which names a directory; give a file name/);
    expect(refusal(() => checkOutFile('--json', dir))).toMatch(/^--json: is a directory; give a file name/);
    for (const f of ['config.json', 'progress.jsonl']) expect(refusal(() => checkOutFile('--json', join(run, f)))).toMatch(new RegExp(`^--json: is a file of the run ${run}, which only metarl train writes`));
    // A folder's lock file (found by a bad-input trial: evaluate --json replaced it).
    expect(refusal(() => checkOutFile('--json', join(run, '.metarl-lock')))).toMatch(new RegExp(`^--json: is the lock file of ${run}, which metarl processes working there hold`));
    for (const f of ['model.json', 'stats.json']) expect(refusal(() => checkOutFile('--json', join(run, 'checkpoint', f)))).toMatch(new RegExp(`^--json: is in the checkpoint folder of the run ${run}, which each checkpoint replaces whole`));
    symlinkSync(join(run, 'config.json'), join(dir, 'link.json'));
    expect(refusal(() => checkOutFile('--json', join(dir, 'link.json')))).toMatch(new RegExp(`^--json: is a file of the run ${run}`));
    // Taken: a new name in a run's folder, a file in folders that do not exist yet.
    expect(refusal(() => checkOutFile('--json', join(run, 'select.json')))).toBeNull();
    expect(refusal(() => checkOutFile('--json', join(dir, 'a', 'b', 'e.json')))).toBeNull();
    expect(refusal(() => checkOutFile('--json', undefined))).toBeNull();
    expect(refusal(() => checkOutDir('--out', file))).toMatch(/^--out: is a file, not a directory/);
    expect(refusal(() => checkOutDir('--out', join(file, 'r')))).toMatch(new RegExp(`^--out: cannot be made: ${file} is a file, not a directory`));
    expect(refusal(() => checkOutDir('--out', join(dir, 'new', 'out')))).toBeNull();
  });
});

describe('writeJsonFile', () => {
  it('replaces a file whole (through a link, the file it points to), leaving nothing beside it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metarl-json-'));
    const real = join(dir, 'real.json');
    writeFileSync(real, '{"old": true}\n');
    const link = join(dir, 'link.json');
    symlinkSync(real, link);
    writeJsonFile(link, { steps: [1] });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(real, 'utf8'))).toEqual({ steps: [1] });
    writeJsonFile(join(dir, 'new', 'e.json'), { a: 1 });
    expect(readdirSync(dir).sort()).toEqual(['link.json', 'new', 'real.json']);
    expect(readdirSync(join(dir, 'new'))).toEqual(['e.json']);
  });
});

describe('scriptArgs (the benchmark scripts\' flags)', () => {
  const flags = { steps: 100000, 'max-workers': 2, 'meta-batch-size': null, env: 'Omniglot5Way1Shot-v0' };
  /** `fn`'s failure line and exit code (process.exit stubbed), or 'no failure'. */
  const failureOf = (fn: () => unknown) => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      fn();
      return 'no failure';
    } catch (e) {
      return `${(e as Error).message}: ${err.mock.calls.map((c) => String(c[0])).join('')}`;
    } finally {
      exit.mockRestore();
      err.mockRestore();
    }
  };

  /** The line a bad command line prints and its exit code (process.exit stubbed). */
  const failure = (argv: string[]) => failureOf(() => scriptArgs('bench-x', flags, argv));
  it('gives the defaults, and the values given (integers where the default is a number or null)', () => {
    expect(scriptArgs('bench-x', flags, [])).toEqual({ steps: 100000, 'max-workers': 2, 'meta-batch-size': undefined, env: 'Omniglot5Way1Shot-v0' });
    expect(scriptArgs('bench-x', flags, ['--steps', '20', '--meta-batch-size=4', '--env', 'SineRegression-v0'])).toEqual({ steps: 20, 'max-workers': 2, 'meta-batch-size': 4, env: 'SineRegression-v0' });
    // The metarl command's upper bounds are about its own flags: bench-env's --steps counts env
    // steps, and its usage line gives 100000 (found by a README trial: it was refused).
    expect(scriptArgs('bench-x', flags, ['--steps', '100000']).steps).toBe(100000);
    expect(() => intOpt('steps', '100000', 1)).toThrow('must be at most 10000');
  });

  it('ends with exit 2 and one line for an unknown flag (and the one it misspells), a missing value or a bad integer', () => {
    const all = '(flags: --steps, --max-workers, --meta-batch-size, --env)\n';
    expect(failure(['--stesp', '2'])).toBe(`exit 2: bench-x: Unknown option '--stesp' (did you mean --steps?) ${all}`);
    expect(failure(['--steps', '0'])).toBe(`exit 2: bench-x: --steps: must be a positive integer (got "0") ${all}`);
    for (const v of ['1e3', '0x10', '2.5']) expect(failure(['--meta-batch-size', v])).toContain(`--meta-batch-size: must be a positive integer (got "${v}")`);
    expect(failure(['--meta-batch-size', '9007199254740993'])).toContain('--meta-batch-size: must be an integer at most 9007199254740991 (got "9007199254740993")');
    expect(failure(['--env'])).toMatch(/^exit 2: bench-x: Option '--env <value>' argument missing/);
    expect(failure(['stray'])).toMatch(/^exit 2: bench-x: .*stray/);
  });

  it("takes one of a flag's choices, the first by default ('' for the flag left out), and its list flags item by item (found by a flags trial: lock-race, fvp-accuracy and bench-backend took anything)", () => {
    const choice = { lock: ['stale', 'empty', 'none'], activation: ['', 'tanh', 'relu'] } as const;
    expect(scriptArgs('bench-x', choice, [])).toEqual({ lock: 'stale', activation: '' });
    expect(scriptArgs('bench-x', choice, ['--lock', 'none', '--activation', 'relu'])).toEqual({ lock: 'none', activation: 'relu' });
    expect(failureOf(() => scriptArgs('bench-x', choice, ['--lock', 'stal']))).toBe('exit 2: bench-x: --lock: must be one of stale, empty, none (did you mean stale?) (got "stal") (flags: --lock, --activation)\n');
    expect(failureOf(() => scriptArgs('bench-x', choice, ['--activation', 'relux']))).toContain('--activation: must be one of tanh, relu (did you mean relu?) (got "relux")');
    const ints = (v: string) => failureOf(() => scriptList('bench-x', 'hidden', v, 'a positive integer', (t) => (/^\d+$/.test(t) && Number(t) > 0 ? Number(t) : undefined)));
    expect(scriptList('bench-x', 'hidden', '100, 50', 'a positive integer', (t) => (/^\d+$/.test(t) ? Number(t) : undefined))).toEqual([100, 50]);
    expect(ints('4,x')).toBe('exit 2: bench-x: --hidden: "x" is not a positive integer (got "4,x")\n');
    expect(ints('4,0')).toContain('"0" is not a positive integer');
  });
});

describe('readConfigFile', () => {
  it('reads a file saved with a byte-order mark, as some editors save UTF-8 (found by an edge-input trial: refused as not JSON)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metarl-cfg-'));
    writeFileSync(join(dir, 'bom.json'), '\uFEFF{"seed": 3}');
    expect(readConfigFile(join(dir, 'bom.json'))).toEqual({ seed: 3 });
    writeFileSync(join(dir, 'bad.json'), '{"seed": ');
    expect(() => readConfigFile(join(dir, 'bad.json'))).toThrow(/^--config: is not valid JSON/);
  });
});
