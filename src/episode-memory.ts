/**
 * How much memory episodes need at the least, to refuse sizes that cannot fit before any work (Node
 * only: it reads the machine's memory). A typo such as `--meta-batch-size 100000000` otherwise ran
 * for minutes and ended with V8 out of memory (found by an edge-input trial).
 */
import { totalmem } from 'node:os';
import type { Env } from './types.ts';

/**
 * A lower bound on the bytes `episodes` episodes of `env` take when sampled at once: float32
 * observations, actions, rewards and masks at every step of the env's horizon (the sampler keeps
 * more), so that a size refused for it never fits.
 */
export function episodeBytes(env: Env, episodes: number): number {
  return 4 * episodes * env.maxEpisodeSteps * (env.observationSpace.shape[0]! + env.actionSpace.shape[0]! + 2);
}

/**
 * Null when `bytes` fit in this machine's memory; else the end of a message: "need at least X GB
 * `what`, more than this machine's Y GB".
 */
export function memoryProblem(bytes: number, what: string): string | null {
  if (bytes <= totalmem()) return null;
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 31 ? 2 : 0)} GB`;
  return `need at least ${gb(bytes)}${what}, more than this machine's ${gb(totalmem())}`;
}
