/** The integer options shared by the CLI subcommands (`scripts/args.ts`). */
import { describe, expect, it } from 'vitest';
import { intOpt, taskProgress } from '../../scripts/args.ts';
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
      ['9007199254740993', 1, /^--tasks: must be a positive integer/],
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
