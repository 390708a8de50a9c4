import { didYouMean } from './suggest.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ConfigError, opt } from './config.ts';
import type { MetaEnv, Task } from './types.ts';

/**
 * Reads a fixed list of held-out tasks from a JSON file, so that an evaluation can use a published
 * task set instead of tasks drawn from a seed.
 *
 * The file holds either an array of tasks or an object `{ "tasks": [...] }` (other keys, such as a
 * note on where the tasks come from, are kept for the reader and ignored here). Each task has the
 * shape the env's `getTask()` returns, e.g. `{ "goal": [0.1, -0.2] }` for `Navigation2D-v0`, and is
 * validated by the env's `setTask`; a key that `getTask()` does not return (a misspelt one) is refused.
 *
 * @param path the JSON file.
 * @param env an env of the run being evaluated; its `setTask` checks every task (its task is left
 *   set to the last one).
 * @param flag the name of the path in error messages (default: `--task-file` in the CLI, `path` from code).
 * @returns the tasks, in file order.
 * @throws ConfigError naming the flag (and the task's index) and the offending value when the file
 *   is missing, is not JSON, holds no tasks, or holds a task the env rejects or with a key its tasks do not have.
 */
export function readTaskFile(path: string, env: MetaEnv, flag = opt('path', undefined, '--task-file')): Task[] {
  if (!existsSync(path)) throw new ConfigError(flag, path, 'file not found');
  if (statSync(path).isDirectory()) throw new ConfigError(flag, path, 'is a directory; give the JSON file');
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(flag, path, `is not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(flag, path, 'must hold a non-empty array of tasks, or an object with one under "tasks"');
  }
  return list.map((task, i) => checkTask(task, env, `${flag} ${path} task ${i + 1} of ${list.length}`));
}

/**
 * `task` (parsed JSON) as a task of `env`: an object that `env.setTask` takes (it leaves `env` set
 * to it) and that has no key the env's tasks lack (a misspelt one would be ignored).
 * @throws ConfigError naming `field`, the task and the fault.
 */
export function checkTask(task: unknown, env: MetaEnv, field: string): Task {
  if (task === null || typeof task !== 'object' || Array.isArray(task)) {
    throw new ConfigError(field, task, 'must be an object such as the env\'s getTask() returns');
  }
  try {
    env.setTask(task as Task);
  } catch (e) {
    throw new ConfigError(field, task, (e as Error).message);
  }
  const known = env.getTask() as unknown;
  if (known !== null && typeof known === 'object' && !Array.isArray(known)) {
    const extra = Object.keys(task).filter((k) => !Object.hasOwn(known, k));
    if (extra.length > 0) {
      const keys = Object.keys(known);
      throw new ConfigError(field, task, `task.${extra[0]}: is not a key of ${env.id}'s tasks${didYouMean(extra[0]!, keys, (k) => `task.${k}`)}; they have ${keys.map((k) => `task.${k}`).join(', ')}`);
    }
  }
  return task as Task;
}
