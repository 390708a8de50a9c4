import type { EnvView } from './types.ts';
import type { MetaEnv, Task } from '../../src/types.ts';
import { createRng } from '../../src/rng.ts';
import { NavigationView } from './navigation-2d.ts';
import { HalfCheetahView } from './half-cheetah.ts';

/** A view, and whether an env's tasks are what it sets and draws (null: they are; else why not). */
interface ViewEntry {
  view: () => EnvView;
  fits: (env: MetaEnv, task: Task) => string | null;
}

const isNumber = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
const cheetahBody = (env: MetaEnv) => (typeof (env as { renderState?: unknown }).renderState === 'function' ? null : 'it has no renderState() (the cheetah view animates its bodies)');

/** Env id → its playground view. Add a line here for a new env family (see EnvView). */
const VIEWS: Record<string, ViewEntry> = {
  'Navigation2D-v0': {
    view: () => new NavigationView(),
    fits: (env, task) =>
      Array.isArray(task.goal) && task.goal.length === 2 && task.goal.every(isNumber) && env.observationSpace.shape[0] === 2 ? null : 'its tasks are not goals {"goal": [x, y]} with 2D positions as observations',
  },
  'HalfCheetahVel-v0': { view: () => new HalfCheetahView('velocity'), fits: (env, task) => (isNumber(task.velocity) ? cheetahBody(env) : 'its tasks are not target velocities {"velocity": v}') },
  'HalfCheetahDir-v0': { view: () => new HalfCheetahView('direction'), fits: (env, task) => (task.direction === 1 || task.direction === -1 ? cheetahBody(env) : 'its tasks are not directions {"direction": ±1}') },
};

/** The playground view of `envId`, or undefined if the page has none yet. */
export function viewFor(envId: string): EnvView | undefined {
  return VIEWS[envId]?.view();
}

/**
 * Why the playground view of `viewId` cannot show `env` (`npm run demo -- --view`): its tasks, as
 * the env samples them, are not the ones the view sets and draws. Null when it can.
 */
export function viewMismatch(viewId: string, env: MetaEnv): string | null {
  const entry = VIEWS[viewId];
  if (!entry) return `no playground view for ${JSON.stringify(viewId)}`;
  const [task] = env.sampleTasks(1, createRng(0));
  return task ? entry.fits(env, task) : 'it sampled no task';
}

/** The env ids that have a playground view (`--view` of `npm run demo` picks one for an env of one's own). */
export function viewIds(): string[] {
  return Object.keys(VIEWS);
}
