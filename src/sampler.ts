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

/**
 * The first `keep` episodes of `parts`, in order, as one time-major batch (all parts must share
 * `T`, the dimensions and the task).
 */
export function concatEpisodes(parts: readonly Episodes[], keep: number): Episodes {
  const first = parts[0];
  if (!first) throw new RangeError('concatEpisodes: no batches');
  const { T, obsDim: od, actDim: ad, task } = first;
  const total = parts.reduce((a, p) => a + p.B, 0);
  if (!Number.isInteger(keep) || keep < 1 || keep > total) throw new RangeError(`concatEpisodes: keep must be in 1…${total}, got ${keep}`);
  for (const p of parts) if (p.T !== T || p.obsDim !== od || p.actDim !== ad) throw new RangeError('concatEpisodes: batches differ in T or dimensions');
  const B = keep;
  const out: Episodes = {
    T, B, obsDim: od, actDim: ad, task,
    obs: new Float32Array(T * B * od),
    actions: new Float32Array(T * B * ad),
    rewards: new Float32Array(T * B),
    mask: new Float32Array(T * B),
    terminated: new Uint8Array(T * B),
    truncated: new Uint8Array(T * B),
    lengths: new Int32Array(B),
    finalObs: new Float32Array(B * od),
  };
  let b = 0;
  for (const p of parts) {
    for (let j = 0; j < p.B && b < B; j++, b++) {
      out.lengths[b] = p.lengths[j]!;
      out.finalObs.set(p.finalObs.subarray(j * od, (j + 1) * od), b * od);
      for (let t = 0; t < T; t++) {
        const src = t * p.B + j;
        const dst = t * B + b;
        out.obs.set(p.obs.subarray(src * od, (src + 1) * od), dst * od);
        out.actions.set(p.actions.subarray(src * ad, (src + 1) * ad), dst * ad);
        out.rewards[dst] = p.rewards[src]!;
        out.mask[dst] = p.mask[src]!;
        out.terminated[dst] = p.terminated[src]!;
        out.truncated[dst] = p.truncated[src]!;
      }
    }
  }
  return out;
}

/** What {@link sampleTimestepBudget} samples: whole episodes until they hold `minSteps` env steps. */
export interface BudgetRequest {
  task: Task;
  params: ParamValues;
  /** Episodes sampled per round (the number of env instances used). */
  chunk: number;
  /** Sampling stops at the first episode that brings the total length to at least this. */
  minSteps: number;
  /** Round c uses `rng.fork('round', c)` as {@link SampleRequest.rng}; round 0 uses `rng` itself. */
  rng: Rng;
}

/**
 * Samples whole episodes, `chunk` at a time, and keeps the shortest prefix whose lengths sum to
 * at least `minSteps`: a batch measured in env steps, as rllab's samplers (and the original MAML
 * code's test script, `batch_size=4000`) collect. Episodes that end early (a goal reached) leave
 * room for more episodes. Round 0 is exactly `sampleEpisodes` with `rng`, so when every episode
 * runs the full horizon and `chunk × T = minSteps` the batch is the fixed-count one.
 */
export function sampleTimestepBudget(envs: readonly MetaEnv[], policy: GaussianMlpPolicy, req: BudgetRequest): Episodes {
  if (!Number.isInteger(req.minSteps) || req.minSteps < 1) throw new RangeError(`sampleTimestepBudget: minSteps must be a positive integer, got ${req.minSteps}`);
  const parts: Episodes[] = [];
  let steps = 0;
  let kept = 0;
  for (let round = 0; steps < req.minSteps; round++) {
    const rng = round === 0 ? req.rng : req.rng.fork('round', round);
    const ep = sampleEpisodes(envs, policy, { task: req.task, params: req.params, numEpisodes: req.chunk, rng });
    parts.push(ep);
    for (let j = 0; j < ep.B && steps < req.minSteps; j++) {
      steps += ep.lengths[j]!;
      kept++;
    }
  }
  return concatEpisodes(parts, kept);
}
