/** The CLI's reading of stack traces for an env of one's own (scripts/args.ts), and its quoting of printed commands. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellQuote, userFrames } from '../../scripts/args.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** An error whose stack has the given frame locations (`at` lines). */
function errorWith(message: string, ...frames: string[]): Error {
  const e = new Error(message);
  e.stack = [`Error: ${message}`, ...frames.map((f) => `    at ${f}`)].join('\n');
  return e;
}

describe('userFrames', () => {
  it("keeps the frames in the user's files, leaving metarl's own, Node's and dependencies' out", () => {
    const e = errorWith(
      'boom',
      'Bad.step (/home/me/my proj (copy)/env.mts:7:29)',
      `NormalizedActionWrapper.step (${join(ROOT, 'envs', 'normalized-actions.ts')}:66:23)`,
      '/home/me/helpers.ts:3:1',
      'Module._compile (node:internal/modules/cjs/loader:1554:14)',
      'lib (/home/me/node_modules/some-dep/index.js:1:1)',
      'file:///home/me/with%20space/env.mts:2:5',
      'async Promise.all (index 0)',
    );
    expect(userFrames(e)).toEqual(['Bad.step (/home/me/my proj (copy)/env.mts:7:29)', '/home/me/helpers.ts:3:1', '/home/me/with space/env.mts:2:5']);
  });

  it('reads the causes and the worker stacks quoted in a stack, without repeats', () => {
    const inner = errorWith('inner', 'Env.reset (/tmp/e.mts:4:2)');
    const outer = new Error('outer', { cause: inner });
    outer.stack = ['TaskFailedError: task 1 failed', '[worker stack] TaskFailedError: task 1 failed at step 3', '    at Env.reset (/tmp/e.mts:4:2)', `    at f (${join(ROOT, 'src', 'sampler.ts')}:1:1)`].join('\n');
    expect(userFrames(outer)).toEqual(['Env.reset (/tmp/e.mts:4:2)']);
  });

  it('counts a given module as the user\'s even inside node_modules or the package', () => {
    const mod = '/home/me/node_modules/my-envs/x.mts';
    const inRepo = join(ROOT, 'examples', 'navigation-ring.ts');
    const e = errorWith('x', `X.step (${mod}:1:2)`, `Y.step (${inRepo}:5:6)`);
    expect(userFrames(e)).toEqual([]);
    expect(userFrames(e, [mod, inRepo])).toEqual([`X.step (${mod}:1:2)`, `Y.step (${inRepo}:5:6)`]);
  });
});

it('shellQuote leaves plain arguments alone and single-quotes the rest', () => {
  expect(shellQuote('runs/nav-1')).toBe('runs/nav-1');
  expect(shellQuote('/tmp/a_b.c=d:e@f%g+h,i')).toBe('/tmp/a_b.c=d:e@f%g+h,i');
  expect(shellQuote('runs/my run')).toBe("'runs/my run'");
  expect(shellQuote("it's")).toBe("'it'\\''s'");
  expect(shellQuote('$HOME')).toBe("'$HOME'");
});
