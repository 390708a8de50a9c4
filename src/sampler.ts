import type { Episodes, MetaEnv, Task } from './types.ts';
import type { GaussianMlpPolicy, ParamValues } from './policy.ts';
import type { Rng } from './rng.ts';

/** What to sample: `numEpisodes` episodes of one task with one parameter set. */
export interface SampleRequest {
  task: Task;
  params: ParamValues;
  numEpisodes: number;
  /** Stream for this batch; episode e uses `rng.fork('reset', e)` and `rng.fork('noise', e)`. */
  rng: Rng;
}

/**
 * Runs `numEpisodes` episodes in lockstep with actions a = μ_θ(s) + σ ⊙ ε, ε ~ N(0, I),
 * and packs them time-major. The stored actions are the unclipped samples (the env clips),
 * so their log-probabilities are those of the sampled Gaussian.
 *
 * `envs` must hold at least `numEpisodes` instances of the same env; their task is set here.
 * Every episode draws from its own stream, so the result does not depend on batching.
 */
export function sampleEpisodes(envs: readonly MetaEnv[], policy: GaussianMlpPolicy, req: SampleRequest): Episodes {
  const B = req.numEpisodes;
  if (envs.length < B) throw new RangeError(`sampleEpisodes: need ${B} env instances, got ${envs.length}`);
  const T = envs[0]!.maxEpisodeSteps;
  const od = policy.obsDim;
  const ad = policy.actDim;
  const obs = new Float32Array(T * B * od);
  const actions = new Float32Array(T * B * ad);
  const rewards = new Float32Array(T * B);
  const mask = new Float32Array(T * B);
  const terminated = new Uint8Array(T * B);
  const truncated = new Uint8Array(T * B);
  const lengths = new Int32Array(B);
  const finalObs = new Float32Array(B * od);
  const std = Float32Array.from(req.params[req.params.length - 1]!, (l) => Math.exp(l));
  const noise: Rng[] = [];
  const cur = new Float32Array(B * od);
  const alive: number[] = [];
  for (let b = 0; b < B; b++) {
    const env = envs[b]!;
    env.setTask(req.task);
    const { obs: o0 } = env.reset({ seed: req.rng.fork('reset', b).seed() });
    cur.set(o0, b * od);
    noise.push(req.rng.fork('noise', b));
    alive.push(b);
  }
  const batchObs = new Float32Array(B * od);
  const act = new Float32Array(ad);
  for (let t = 0; t < T && alive.length > 0; t++) {
    const n = alive.length;
    for (let i = 0; i < n; i++) batchObs.set(cur.subarray(alive[i]! * od, alive[i]! * od + od), i * od);
    const mu = policy.meanJs(req.params, batchObs.subarray(0, n * od), n);
    const still: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = alive[i]!;
      const k = t * B + b;
      for (let d = 0; d < ad; d++) act[d] = mu[i * ad + d]! + std[d]! * noise[b]!.normal();
      obs.set(cur.subarray(b * od, b * od + od), k * od);
      actions.set(act, k * ad);
      const r = envs[b]!.step(act);
      rewards[k] = r.reward;
      mask[k] = 1;
      cur.set(r.obs, b * od);
      if (r.terminated || r.truncated || t === T - 1) {
        terminated[k] = r.terminated ? 1 : 0;
        truncated[k] = r.terminated ? 0 : 1;
        lengths[b] = t + 1;
        finalObs.set(r.obs, b * od);
      } else {
        still.push(b);
      }
    }
    alive.length = 0;
    alive.push(...still);
  }
  return { T, B, obsDim: od, actDim: ad, obs, actions, rewards, mask, terminated, truncated, lengths, finalObs, task: req.task };
}

/** Undiscounted return of each episode `[B]`. */
export function episodeReturns(ep: Episodes): Float64Array {
  const out = new Float64Array(ep.B);
  for (let t = 0; t < ep.T; t++) for (let b = 0; b < ep.B; b++) out[b] += ep.rewards[t * ep.B + b]!;
  return out;
}

/** Mean undiscounted return over the episodes of a batch. */
export function meanReturn(ep: Episodes): number {
  const r = episodeReturns(ep);
  let s = 0;
  for (const x of r) s += x;
  return s / ep.B;
}
