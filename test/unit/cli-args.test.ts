/** The integer options shared by the CLI subcommands (`scripts/args.ts`). */
import { describe, expect, it } from 'vitest';
import { intOpt } from '../../scripts/args.ts';
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
