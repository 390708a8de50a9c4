/** Registers every built-in env. Import this module once before calling `make`. */
import { register } from './registry.ts';
import { Navigation2DEnv } from './navigation-2d.ts';

register({ id: 'Navigation2D-v0', factory: () => new Navigation2DEnv(), description: '2D point navigation to a goal in [-0.5, 0.5]^2' });

export { make, listEnvs, register, envSpec, UnknownEnvError } from './registry.ts';
