import type { MetaEnv, Task } from '../../src/types.ts';
import type { GaussianMlpPolicy } from '../../src/policy.ts';
import type { AdaptationStep } from '../adaptation.ts';

/** What the page hands a view when it mounts it: the run's env and policy, for views that roll out episodes of their own. */
export interface ViewContext {
  /** The run's env id (`cfg.env`). */
  envId: string;
  /** The run's policy (architecture only; parameters come with each {@link AdaptationStep}). */
  policy: GaussianMlpPolicy;
  /** A fresh env as the page samples it (with the task appended to the observation for oracle runs). */
  makeEnv: () => MetaEnv;
}

/**
 * How the page shows one env family: a picture of the task and of the sampled episodes, and a
 * way for the person to pick a task.
 *
 * Extension point: an env without a view still gets the training curves; to give it a playground,
 * add `views/<env>.ts` implementing this and one line in `views/index.ts`.
 */
export interface EnvView {
  /**
   * Mounts the view's elements into `container`; `onTask` is called when the person picks a task
   * (the page then samples step 0 and takes gradient step 1).
   */
  mount(container: HTMLElement, onTask: (task: Task) => void, ctx: ViewContext): void;
  /** One line telling the person what to do ("Click to place a goal"). */
  readonly prompt: string;
  /** What the drawing shows (a sentence under the results table). Default: nothing. */
  readonly legend?: string;
  /**
   * Upper bound of the default episodes per step (the page starts from the run's fastBatchSize), for
   * envs whose episodes are slow to sample in the page. The field still accepts up to 200.
   */
  readonly maxDefaultEpisodes?: number;
  /** Draws the task and the episodes of every step so far (`steps[0]` = before adaptation). */
  render(task: Task | null, steps: readonly AdaptationStep[]): void;
  /** Short text describing the task, for the results table. */
  describeTask(task: Task): string;
}

/** Colours of steps 0…3, shared by the view and the results table. */
export const STEP_COLORS = ['#3b6fb6', '#e07b00', '#c0392b', '#2e8b57'];
