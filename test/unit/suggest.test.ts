import { describe, expect, it } from 'vitest';
import { closestName, didYouMean, editDistance, showJson } from '../../src/suggest.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';
import { ConfigError } from '../../src/config.ts';

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours as one edit each', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('tasks', 'tasks')).toBe(0);
    expect(editDistance('tsks', 'tasks')).toBe(1); // insertion
    expect(editDistance('taskss', 'tasks')).toBe(1); // deletion
    expect(editDistance('tasts', 'tasks')).toBe(1); // substitution
    expect(editDistance('takss', 'tasks')).toBe(1); // swap
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
  });

  it('suggests a name equal but for case and separators, a unique prefix, or the unique nearest', () => {
    const flags = ['env', 'tasks', 'steps', 'seed', 'iterations', 'meta-batch-size', 'fast-batch-size', 'runs'];
    expect(closestName('maxKL', ['maxKl', 'cgIters'])).toBe('maxKl');
    expect(closestName('meta_batch_size', flags)).toBe('meta-batch-size');
    expect(closestName('iter', flags)).toBe('iterations');
    expect(closestName('tsks', flags)).toBe('tasks');
    expect(closestName('itrations', flags)).toBe('iterations');
    expect(closestName('run', flags)).toBe('runs');
    expect(closestName('gpu', ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])).toBe('tensorflow-gpu'); // not cpu, one edit away
    // Too far from every name, or as near to two: no guess.
    expect(closestName('bogus', flags)).toBeUndefined();
    expect(closestName('batch-size', flags)).toBeUndefined(); // 4 edits from either
    expect(closestName('sted', ['seed', 'step'])).toBeUndefined();
    expect(closestName('', flags)).toBeUndefined();
    // Short names allow one edit only.
    expect(closestName('abc', ['abde'])).toBeUndefined(); // 2 edits
    expect(closestName('abc', ['abd'])).toBe('abd');
    // Not a typo: the beginning of several names, a no- form, another version of an id.
    expect(closestName('task', ['tasks', 'task-file', 'steps'])).toBeUndefined();
    expect(closestName('no-first-order', ['first-order', 'seed'])).toBeUndefined();
    expect(closestName('Navigation2D-v1', ['Navigation2D-v0', 'SineRegression-v0'])).toBeUndefined();
    expect(closestName('Navigaton2D-v0', ['Navigation2D-v0', 'SineRegression-v0'])).toBe('Navigation2D-v0');
  });

  it('writes the suggestion as a parenthesis to append, shown as asked', () => {
    expect(didYouMean('tsks', ['tasks'], (f) => `--${f}`)).toBe(' (did you mean --tasks?)');
    expect(didYouMean('zzz', ['tasks'])).toBe('');
  });
});

describe('showJson', () => {
  it('writes the numbers JSON cannot hold as they are, also inside objects (found by a bad-input trial: a goal of 1e400 was shown as null)', () => {
    expect(showJson({ goal: [Infinity, 0], b: [-Infinity, Number.NaN] })).toBe('{"goal":[Infinity,0],"b":[-Infinity,NaN]}');
    expect(showJson(Number.NaN)).toBe('NaN');
    expect(showJson(undefined)).toBe('undefined');
    expect(showJson(() => 1)).toBe('a function');
    expect(showJson('x')).toBe('"x"');
    expect(() => new Navigation2DEnv().setTask({ goal: [1e400, 0] as [number, number] })).toThrow('Navigation2D-v0: task.goal must be two finite numbers, got [Infinity,0]');
    expect(new ConfigError('task', { goal: [1e400, 0] }, 'bad').message).toBe('task: bad (got {"goal":[Infinity,0]})');
  });
});
