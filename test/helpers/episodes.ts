import type { Episodes, Task } from '../../src/types.ts';

/** A vector, or a plain number for a 1-dimensional vector. */
export type VecLike = number | ArrayLike<number>;

/** One episode given step by step (all per-step arrays have the episode's length `L`). */
export interface EpisodeSpec {
  /** `L` observations, the one before each step. */
  obs: readonly VecLike[];
  /** `L` actions; zeros of `actDim` when omitted. */
  actions?: readonly VecLike[];
  /** `L` rewards. */
  rewards: readonly number[];
  /** How the last step ended (flag written on step `L-1`; ignored for `L = 0`). */
  end: 'terminated' | 'truncated';
  /** Observation after the last step; zeros when omitted. */
  finalObs?: VecLike;
}

/** Options of {@link makeEpisodes}. */
export interface MakeEpisodesOptions {
  /** Padded horizon; default the longest episode. */
  T?: number;
  /** Default: inferred from the first observation (or `finalObs`). Required when every episode is empty and has no finalObs. */
  obsDim?: number;
  /** Default: inferred from the first action, else 1. */
  actDim?: number;
  /** Default `{}`. */
  task?: Task;
  /**
   * Value written into `obs`, `actions` and `rewards` on padded steps (default 0, as the
   * `Episodes` contract says). Nonzero garbage tests that code honours `mask`.
   */
  padValue?: number;
}

function toVec(v: VecLike): ArrayLike<number> {
  return typeof v === 'number' ? [v] : v;
}

/**
 * Packs per-episode arrays into the time-major padded {@link Episodes} layout (index `t * B + b`):
 * `mask` 1 on real steps, the end flag on each episode's last step, `lengths[b]`, `finalObs[b]`.
 */
export function makeEpisodes(specs: readonly EpisodeSpec[], opts: MakeEpisodesOptions = {}): Episodes {
  const B = specs.length;
  const maxLen = specs.reduce((m, s) => Math.max(m, s.rewards.length), 0);
  const T = opts.T ?? maxLen;
  if (T < maxLen) throw new RangeError(`makeEpisodes: T=${T} is shorter than the longest episode (${maxLen})`);

  const firstObs = specs.find((s) => s.obs.length > 0)?.obs[0] ?? specs.find((s) => s.finalObs !== undefined)?.finalObs;
  const obsDim = opts.obsDim ?? (firstObs !== undefined ? toVec(firstObs).length : undefined);
  if (obsDim === undefined) throw new RangeError('makeEpisodes: cannot infer obsDim, pass opts.obsDim');
  const firstAct = specs.find((s) => s.actions !== undefined && s.actions.length > 0)?.actions?.[0];
  const actDim = opts.actDim ?? (firstAct !== undefined ? toVec(firstAct).length : 1);
  const pad = opts.padValue ?? 0;

  const obs = new Float32Array(T * B * obsDim).fill(pad);
  const actions = new Float32Array(T * B * actDim).fill(pad);
  const rewards = new Float32Array(T * B).fill(pad);
  const mask = new Float32Array(T * B);
  const terminated = new Uint8Array(T * B);
  const truncated = new Uint8Array(T * B);
  const lengths = new Int32Array(B);
  const finalObs = new Float32Array(B * obsDim);

  const put = (dst: Float32Array, offset: number, v: VecLike, dim: number, what: string): void => {
    const a = toVec(v);
    if (a.length !== dim) throw new RangeError(`makeEpisodes: ${what} has length ${a.length}, expected ${dim}`);
    for (let k = 0; k < dim; k++) dst[offset + k] = a[k];
  };

  specs.forEach((s, b) => {
    const L = s.rewards.length;
    if (s.obs.length !== L) throw new RangeError(`makeEpisodes: episode ${b} has ${s.obs.length} obs and ${L} rewards`);
    if (s.actions !== undefined && s.actions.length !== L) {
      throw new RangeError(`makeEpisodes: episode ${b} has ${s.actions.length} actions and ${L} rewards`);
    }
    lengths[b] = L;
    for (let t = 0; t < L; t++) {
      const i = t * B + b;
      put(obs, i * obsDim, s.obs[t], obsDim, `episode ${b} obs[${t}]`);
      if (s.actions !== undefined) put(actions, i * actDim, s.actions[t], actDim, `episode ${b} actions[${t}]`);
      else actions.fill(0, i * actDim, (i + 1) * actDim);
      rewards[i] = s.rewards[t];
      mask[i] = 1;
    }
    if (L > 0) (s.end === 'terminated' ? terminated : truncated)[(L - 1) * B + b] = 1;
    if (s.finalObs !== undefined) put(finalObs, b * obsDim, s.finalObs, obsDim, `episode ${b} finalObs`);
  });

  return { T, B, obsDim, actDim, obs, actions, rewards, mask, terminated, truncated, lengths, finalObs, task: opts.task ?? {} };
}
