import type { EnvView } from './types.ts';
import { NavigationView } from './navigation-2d.ts';
import { HalfCheetahView } from './half-cheetah.ts';

/** Env id → its playground view. Add a line here for a new env family (see EnvView). */
const VIEWS: Record<string, () => EnvView> = {
  'Navigation2D-v0': () => new NavigationView(),
  'HalfCheetahVel-v0': () => new HalfCheetahView('velocity'),
  'HalfCheetahDir-v0': () => new HalfCheetahView('direction'),
};

/** The playground view of `envId`, or undefined if the page has none yet. */
export function viewFor(envId: string): EnvView | undefined {
  return VIEWS[envId]?.();
}

/** The env ids that have a playground view (`--view` of `npm run demo` picks one for an env of one's own). */
export function viewIds(): string[] {
  return Object.keys(VIEWS);
}
