import { EnvContractError } from './env-contract.ts';
import type { Episodes, MetaEnv, StepResult, Task } from './types.ts';
import type { GaussianMlpPolicy, ParamValues } from './policy.ts';
import type { Rng } from './rng.ts';
import { ConfigError, checkIntOption } from './config.ts';

/** What to sample: `numEpisodes` episodes of one task with one parameter set. */
export interface SampleRequest {
  task: Task;
  params: ParamValues;
  numEpisodes: number;
  /** Stream for this batch; episode e uses `rng.fork('reset', e)` and `rng.fork('noise', e)`. */
  rng: Rng;
}

/**
 * The policy's action is not finite: its parameters are not, or are so large that its output
 * overflows (after a step size too large, say). The policy's fault, not the env's.
 */
export class PolicyNotFiniteError extends RangeError {
  /** @param message what was not finite, and where. */
  constructor(message: string) {
    super(message);
    this.name = 'PolicyNotFiniteError';
  }
}

/** The env call that returned step `t`'s observation, as messages name it (−1: `reset`). */
const callAt = (t: number) => (t < 0 ? 'reset()' : `step() at t = ${t}`);

/** What `v` is, for a message: "a Float32Array", "an array", "undefined", "a number (3)", "a string ("3")". */
function kindOf(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object without obs (keys: ${Object.keys(v).join(', ') || 'none'})`;
  return `a ${typeof v} (${typeof v === 'string' ? JSON.stringify(v) : String(v)})`;
}

/**
 * `env.reset(opts)`, with its result checked to be an object holding `obs` (an env that returns
 * the observation itself is named as such, not as an observation of length undefined).
 * @throws EnvContractError naming the env.
 */
export function checkedReset(env: MetaEnv, opts: { seed?: number }): { obs: Float32Array } {
  const r: unknown = env.reset(opts);
  if (r === null || typeof r !== 'object' || ArrayBuffer.isView(r) || Array.isArray(r) || !('obs' in r)) {
    throw new EnvContractError(env.id, [`reset() must return { obs }, got ${kindOf(r)}`]);
  }
  return r as { obs: Float32Array };
}

/**
 * `env.step(action)` at step `t`, with its result checked to be an object holding `obs`.
 * @throws EnvContractError naming the env.
 */
export function checkedStep(env: MetaEnv, action: Float32Array, t: number): StepResult {
  const r: unknown = env.step(action);
  if (r === null || typeof r !== 'object' || ArrayBuffer.isView(r) || Array.isArray(r) || !('obs' in r)) {
    throw new EnvContractError(env.id, [`step() at t = ${t} must return { obs, reward, terminated, truncated }, got ${kindOf(r)}`]);
  }
  return r as StepResult;
}

/**
 * Throws an {@link EnvContractError}, naming the env, when an observation `obs` that its `reset` or
 * `step` (at step `t`; −1: `reset`) returned does not have the policy's `od` entries (an env whose observations
 * disagree with its `observationSpace` would otherwise feed the policy shifted or truncated inputs)
 * or holds a value that is not finite (the policy's actions would be NaN from then on).
 */
function checkObs(env: MetaEnv, obs: Float32Array, od: number, t: number): void {
  if (obs?.length !== od) {
    const space = env.observationSpace.shape[0];
    throw new EnvContractError(env.id, [
      `${callAt(t)} returned an observation of length ${obs?.length}, but the policy takes ${od} inputs` +
        (space === od ? ` (observationSpace.shape is [${space}])` : ` and observationSpace.shape is [${space}]`),
    ]);
  }
  for (let i = 0; i < od; i++) {
    if (!Number.isFinite(obs[i]!)) throw new EnvContractError(env.id, [`${callAt(t)} returned an observation whose entry ${i} is ${obs[i]}, not a finite number`]);
  }
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
  checkIntOption('numEpisodes', B, 1);
  policy.checkParams(req.params);
  // A policy sized for another env is the caller's fault, not the env's (checkObs would blame the env).
  const e0 = envs[0];
  if (e0 !== undefined && (e0.observationSpace.shape[0] !== policy.obsDim || e0.actionSpace.shape[0] !== policy.actDim)) {
    throw new ConfigError('policy', `${policy.obsDim} inputs, ${policy.actDim} actions`, `does not fit ${e0.id} (observations [${e0.observationSpace.shape[0]}], actions [${e0.actionSpace.shape[0]}]): make it with new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], config)`);
  }
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
    const { obs: o0 } = checkedReset(env, { seed: req.rng.fork('reset', b).seed() });
    checkObs(env, o0, od, -1);
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
      // The policy's fault, not the env's: a NaN action would come back as a NaN observation blamed on the env.
      for (let d = 0; d < ad; d++) if (!Number.isFinite(act[d]!)) throw new PolicyNotFiniteError(`sampleEpisodes: the policy's action ${d} is ${act[d]} at t = ${t} (its parameters or its input are not finite, or so large that its output overflows)`);
      obs.set(cur.subarray(b * od, b * od + od), k * od);
      actions.set(act, k * ad);
      const r = checkedStep(envs[b]!, act, t);
      checkObs(envs[b]!, r.obs, od, t);
      if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) {
        throw new EnvContractError(envs[b]!.id, [`step() at t = ${t} returned the reward ${typeof r.reward === 'number' ? String(r.reward) : `as ${kindOf(r.reward)}`}, not a finite number`]);
      }
      // A truthy non-boolean (the string "false", 1) would end the episode with no word.
      if (typeof r.terminated !== 'boolean' || typeof r.truncated !== 'boolean') {
        throw new EnvContractError(envs[b]!.id, [`step() at t = ${t} returned terminated ${kindOf(r.terminated)} and truncated ${kindOf(r.truncated)}; both must be booleans`]);
      }
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
  for (let t = 0; t < ep.T; t++) for (let b = 0; b < ep.B; b++) out[b]! += ep.rewards[t * ep.B + b]!;
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
 * The picked episodes (`b` of batch `from`), in order, as one time-major batch; every batch must
 * share `T` and the dimensions, and the result carries the first one's task.
 */
export function gatherEpisodes(picks: readonly { from: Episodes; b: number }[]): Episodes {
  const first = picks[0]?.from;
  if (!first) throw new RangeError('gatherEpisodes: no episodes picked');
  const { T, obsDim: od, actDim: ad, task } = first;
  const B = picks.length;
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
  picks.forEach(({ from: p, b: j }, b) => {
    if (p.T !== T || p.obsDim !== od || p.actDim !== ad) throw new RangeError('gatherEpisodes: batches differ in T or dimensions');
    if (!Number.isInteger(j) || j < 0 || j >= p.B) throw new RangeError(`gatherEpisodes: episode ${j} of a batch of ${p.B}`);
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
  });
  return out;
}

/** A batch of {@link sampleTimestepBudget}. */
export interface BudgetBatch {
  /** The finished episodes, ordered by slot, then by start. */
  episodes: Episodes;
  /**
   * Each slot's first episode (round 0: the fixed-count batch of `slots` episodes with the same
   * stream). It is part of `episodes` whenever `slots × T ≤ minSteps`, since no slot can finish
   * `minSteps / slots` steps before its first episode ends.
   */
  firstRound: Episodes;
}

/** What {@link sampleTimestepBudget} samples. */
export interface BudgetRequest {
  task: Task;
  params: ParamValues;
  /** Env slots run in lockstep (rllab's `n_envs`; the original MAML test used batch_size / horizon = 40). */
  slots: number;
  /** Sampling stops at the first lockstep step at which the finished episodes hold at least this many env steps. */
  minSteps: number;
  /**
   * Slot b's r-th episode is episode b of `sampleEpisodes` with `rng` (r = 0) or
   * `rng.fork('round', r)`, so round 0 is exactly the fixed-count batch of `slots` episodes.
   */
  rng: Rng;
}

/**
 * A batch measured in env steps, as rllab's vectorized sampler collects it (the sampler behind the
 * original MAML code's point-env test, `batch_size=4000`): `slots` envs step in lockstep, each
 * starting a new episode when its episode ends; after every step the lengths of the finished
 * episodes are summed, and sampling stops once they reach `minSteps`. Episodes still running then
 * are dropped. Episodes that end early (a goal reached) leave room for more episodes, and since a
 * long episode is the likelier to be cut off, the batch leans towards short ones (its mean return
 * is not the expected return of one episode when lengths vary). When every episode runs the full
 * horizon T and `slots × T = minSteps`, the batch is the `slots` episodes of round 0.
 */
export function sampleTimestepBudget(envs: readonly MetaEnv[], policy: GaussianMlpPolicy, req: BudgetRequest): BudgetBatch {
  if (!Number.isInteger(req.minSteps) || req.minSteps < 1) throw new RangeError(`sampleTimestepBudget: minSteps must be a positive integer, got ${req.minSteps}`);
  if (!Number.isInteger(req.slots) || req.slots < 1) throw new RangeError(`sampleTimestepBudget: slots must be a positive integer, got ${req.slots}`);
  const S = req.slots;
  const rounds: Episodes[] = [];
  /** Per slot: the lockstep step at which each of its episodes so far ends. */
  const ends: number[][] = Array.from({ length: S }, () => []);
  for (let r = 0; ; r++) {
    const ep = sampleEpisodes(envs, policy, { task: req.task, params: req.params, numEpisodes: S, rng: r === 0 ? req.rng : req.rng.fork('round', r) });
    rounds.push(ep);
    for (let b = 0; b < S; b++) ends[b]!.push((ends[b]!.at(-1) ?? 0) + ep.lengths[b]!);
    // Every slot's timeline is known up to the end of its last sampled episode, so all of them up to the earliest such end.
    const known = Math.min(...ends.map((e) => e.at(-1)!));
    const finished = new Map<number, number>(); // lockstep step → steps of the episodes ending then
    for (let b = 0; b < S; b++) {
      ends[b]!.forEach((t, k) => {
        if (t <= known) finished.set(t, (finished.get(t) ?? 0) + rounds[k]!.lengths[b]!);
      });
    }
    let total = 0;
    let stop = -1;
    for (const t of [...finished.keys()].sort((a, c) => a - c)) {
      total += finished.get(t)!;
      if (total >= req.minSteps) {
        stop = t;
        break;
      }
    }
    if (stop < 0) continue;
    const kept: { from: Episodes; b: number }[] = [];
    for (let b = 0; b < S; b++) {
      ends[b]!.forEach((t, k) => {
        if (t <= stop) kept.push({ from: rounds[k]!, b });
      });
    }
    return { episodes: gatherEpisodes(kept), firstRound: rounds[0]! };
  }
}
