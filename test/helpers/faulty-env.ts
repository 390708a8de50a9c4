// Envs with an injected fault on one task, for the failure tests of the worker pools. Imported by the
// test and, through `envModules`, by every worker (each thread has its own env registry).
import { envSpec, register } from '../../envs/index.ts';
import { Navigation2DEnv, type NavigationTask } from '../../envs/navigation-2d.ts';
import { SineRegressionEnv, type SineTask } from '../../envs/sine-regression.ts';
import type { Rng } from '../../src/rng.ts';
import type { LabelledBatch } from '../../src/types.ts';

/** The task of the meta-batch that carries the fault. */
export const FAULTY_TASK = 2;

type Fault = 'throw' | 'exit';

/** The registered id of the navigation env with `fault`. */
const faultyId = (fault: Fault) => `Faulty${fault === 'throw' ? 'Throw' : 'Exit'}-v0`;

/** Navigation2D whose task {@link FAULTY_TASK} makes `setTask` throw, or end the thread (`process.exit(7)`). */
class FaultyNavigation extends Navigation2DEnv {
  override readonly id: string;
  constructor(private readonly fault: Fault) {
    super();
    this.id = faultyId(fault);
  }

  override sampleTasks(n: number, rng: Rng): NavigationTask[] {
    return super.sampleTasks(n, rng).map((t, i) => (i === FAULTY_TASK ? ({ ...t, fault: this.fault } as NavigationTask) : t));
  }

  override setTask(task: NavigationTask): void {
    if ((task as { fault?: Fault }).fault === 'throw') throw new Error('injected fault');
    if ((task as { fault?: Fault }).fault === 'exit') process.exit(7);
    super.setTask(task);
  }
}

for (const fault of ['throw', 'exit'] as const) {
  const id = faultyId(fault);
  if (!envSpec(id)) register({ id, factory: () => new FaultyNavigation(fault), description: `Navigation2D with a ${fault} on task ${FAULTY_TASK}` });
}

/** SineRegression whose task {@link FAULTY_TASK} yields a batch with one input value missing (a malformed example). */
class FaultySine extends SineRegressionEnv {
  override readonly id = 'FaultySine-v0';
  override sampleTasks(n: number, rng: Rng): SineTask[] {
    return super.sampleTasks(n, rng).map((t, i) => (i === FAULTY_TASK ? ({ ...t, fault: 'short' } as SineTask) : t));
  }

  override sampleBatch(task: SineTask, count: number, rng: Rng): LabelledBatch {
    const b = super.sampleBatch(task, count, rng);
    return (task as { fault?: string }).fault ? { ...b, x: b.x.slice(1) } : b;
  }
}

if (!envSpec('FaultySine-v0')) register({ id: 'FaultySine-v0', factory: () => new FaultySine(), description: `SineRegression with a malformed batch on task ${FAULTY_TASK}` });
