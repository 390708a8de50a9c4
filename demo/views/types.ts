import type { Task } from '../../src/types.ts';
import type { AdaptationStep } from '../adaptation.ts';

/**
 * How the page shows one env family: a picture of the task and of the sampled episodes, and a
 * way for the person to pick a task.
 *
 * Extension point: an env without a view (the HalfCheetah envs, for now) still gets the training
 * curves; to give it a playground, add `views/<env>.ts` implementing this and one line in
 * `views/index.ts`.
 */
export interface EnvView {
  /** Mounts the view's elements into `container`; `onTask` is called when the person picks a task. */
  mount(container: HTMLElement, onTask: (task: Task) => void): void;
  /** One line telling the person what to do ("Click to place a goal"). */
  readonly prompt: string;
  /** Draws the task and the episodes of every step so far (`steps[0]` = before adaptation). */
  render(task: Task | null, steps: readonly AdaptationStep[]): void;
  /** Short text describing the task, for the results table. */
  describeTask(task: Task): string;
}

/** Colours of steps 0…3, shared by the view and the results table. */
export const STEP_COLORS = ['#3b6fb6', '#e07b00', '#c0392b', '#2e8b57'];
