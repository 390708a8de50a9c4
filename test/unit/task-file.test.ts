/**
 * `readTaskFile`: a fixed list of held-out tasks from JSON, each validated by the env, and every
 * bad input named (flag, file, task index, value).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTaskFile } from '../../src/task-file.ts';
import { ConfigError } from '../../src/config.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';

const dir = mkdtempSync(join(tmpdir(), 'metarl-tasks-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** The ConfigError `f` throws, for inspection. */
function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, none was thrown');
}

describe('readTaskFile', () => {
  const env = new Navigation2DEnv();

  it('reads an array of tasks, or one under "tasks", in file order', () => {
    const tasks = [{ goal: [0.1, -0.2] }, { goal: [-0.4, 0.3] }];
    expect(readTaskFile(file('a.json', JSON.stringify(tasks)), env)).toEqual(tasks);
    expect(readTaskFile(file('b.json', JSON.stringify({ source: 'by hand', tasks })), env)).toEqual(tasks);
  });

  it('names the file for a missing file, bad JSON and no tasks', () => {
    expect(configError(() => readTaskFile(join(dir, 'nope.json'), env)).message).toMatch(/^path: file not found .*nope\.json/);
    // A directory (found by a bad-input trial: "not valid JSON: EISDIR").
    expect(configError(() => readTaskFile(dir, env)).message).toMatch(/^path: is a directory; give the JSON file/);
    expect(configError(() => readTaskFile(file('c.json', '[{"goal": [0.1, '), env)).message).toMatch(/not valid JSON.*c\.json/);
    expect(configError(() => readTaskFile(file('d.json', '[]'), env)).message).toMatch(/non-empty array.*d\.json/);
    expect(configError(() => readTaskFile(file('e.json', '{"goals": []}'), env)).message).toMatch(/non-empty array.*e\.json/);
  });

  it('names the task index and value of a task the env rejects', () => {
    const p = file('f.json', JSON.stringify([{ goal: [0, 0] }, { goal: [0, 0] }, { goal: ['x', 0] }]));
    const e = configError(() => readTaskFile(p, env, '--tasks-from'));
    expect(e.field).toBe(`--tasks-from ${p} task 3 of 3`); // counted from 1, as people count
    expect(e.message).toContain('task.goal must be two finite numbers');
    expect(e.message).toContain('["x",0]');
    expect(configError(() => readTaskFile(file('g.json', '[3]'), env)).field).toMatch(/task 1 of 1$/);
  });

  it('names a key the env\'s tasks do not have, and a goal too far for a finite reward (found by an edge-input trial)', () => {
    const extra = configError(() => readTaskFile(file('h.json', '[{"goal": [0.1, 0.2], "gaol": [0, 0]}]'), env, '--task-file'));
    expect(extra.message).toContain('task.gaol: is not a key of Navigation2D-v0\'s tasks (did you mean task.goal?); they have task.goal');
    const far = configError(() => readTaskFile(file('i.json', '[{"goal": [1e308, -1e308]}]'), env, '--task-file'));
    expect(far.message).toContain('task.goal must lie within 1e100 of the origin');
  });

  it('the shipped navigation test goals are 40 valid tasks inside the task distribution', () => {
    const tasks = readTaskFile(join(import.meta.dirname, '..', '..', 'configs', 'tasks', 'navigation-icml-test-goals.json'), env);
    expect(tasks).toHaveLength(40);
    for (const t of tasks) for (const v of (t as { goal: number[] }).goal) expect(Math.abs(v)).toBeLessThanOrEqual(0.5);
  });
});
