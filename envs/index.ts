/** Registers every built-in env. Import this module once before calling `make`. */
import { register } from './registry.ts';
import { Navigation2DEnv } from './navigation-2d.ts';
import { SineRegressionEnv } from './sine-regression.ts';
import { HalfCheetahDirEnv, HalfCheetahVelEnv } from './half-cheetah.ts';

register({ id: 'Navigation2D-v0', factory: () => new Navigation2DEnv(), description: '2D point navigation to a goal in [-0.5, 0.5]^2' });
register({ id: 'HalfCheetahVel-v0', factory: () => new HalfCheetahVelEnv(), description: 'planar half-cheetah (matter-js), reward -|v - v_goal| - 0.05*sum(a^2), v_goal ~ U[0, 2]' });
register({ id: 'HalfCheetahDir-v0', factory: () => new HalfCheetahDirEnv(), description: 'planar half-cheetah (matter-js), reward d*v - 0.05*sum(a^2), d = +-1 with p = 1/2' });
register({ id: 'SineRegression-v0', factory: () => new SineRegressionEnv(), description: 'sine regression, amplitude U[0.1,5], phase U[0,pi] (horizon 1)' });

export { make, listEnvs, register, envSpec, UnknownEnvError, type EnvSpec, type EnvFactory } from './registry.ts';
export { EnvContractError, envShapeProblems } from '../src/env-contract.ts';
// The built-in envs, for variants that reuse their dynamics (examples/navigation-ring.ts).
export { Navigation2DEnv, type NavigationTask } from './navigation-2d.ts';
export { SineRegressionEnv, type SineTask } from './sine-regression.ts';
export { HalfCheetahVelEnv, HalfCheetahDirEnv, type HalfCheetahVelTask, type HalfCheetahDirTask, type HalfCheetahOptions } from './half-cheetah.ts';
export { TaskObservationWrapper } from './oracle.ts';
export { NormalizedActionWrapper } from './normalized-actions.ts';
export { checkEnv, type CheckEnvOptions } from './check.ts';
