/**
 * `metarl inspect --run DIR`: what a checkpoint holds, tensor by tensor. For a run with learned
 * inner step sizes, those get their own rows, with the count of entries that moved out of ±10 % of
 * where they started and of negative ones (a negative one steps up the inner gradient instead of
 * down): the multipliers s of an RL run with `adaptation.learnedLr` (the step is α·s, s starts at
 * 1), or the rates of a supervised `meta-sgd` run (the step is the rate itself, which starts at α).
 */
import type { Checkpoint } from '../src/checkpoint.ts';
import { ConfigError, validateConfig } from '../src/config.ts';

/** Statistics of one parameter tensor. */
export interface TensorStats {
  /** `layer 1 weights`, …, `output bias`, `log σ` for a Gaussian MLP policy; `tensor i` otherwise (supervised models). */
  name: string;
  /**
   * `theta` for the parameters; for the learned step sizes of the tensor of the same name, `s` (RL:
   * multipliers of α) or `rate` (supervised Meta-SGD: the per-entry step sizes themselves).
   */
  part: 'theta' | 's' | 'rate';
  shape: number[];
  size: number;
  mean: number;
  /** Population standard deviation of the entries. */
  std: number;
  min: number;
  max: number;
  /** Euclidean norm of the entries. */
  norm: number;
  /** For `s` and `rate` rows: entries outside ±10 % of their start (s: [0.9, 1.1]; rates: [0.9 α, 1.1 α]). */
  outside?: number;
  /** For `s` and `rate` rows: entries below 0. */
  negative?: number;
}

/** What {@link inspectCheckpoint} returns and `metarl inspect --json` writes. */
export interface Inspection {
  env: string;
  algo: string;
  iteration: number;
  /** The inner step size α; with learned multipliers the step of a parameter is α·s; learned rates start at α. */
  fastLr: number;
  /** Whether the run learns its inner step sizes (see {@link learnedKind}). */
  learnedLr: boolean;
  /** What the learned step sizes are: multipliers s of α (RL `adaptation.learnedLr`), the rates themselves (supervised `meta-sgd`), or none. */
  learnedKind: 'multipliers' | 'rates' | null;
  tensors: TensorStats[];
}

/** Band around s = 1 outside which an entry counts as moved in {@link TensorStats.outside}. */
export const S_BAND: readonly [number, number] = [0.9, 1.1];

/** Statistics of the entries of one tensor (float64 accumulation). */
export function tensorStats(values: ArrayLike<number>): Pick<TensorStats, 'size' | 'mean' | 'std' | 'min' | 'max' | 'norm'> {
  const n = values.length;
  if (n === 0) return { size: 0, mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN, norm: 0 };
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    sum += v;
    sq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let dev = 0;
  for (let i = 0; i < n; i++) dev += (values[i]! - mean) ** 2;
  return { size: n, mean, std: Math.sqrt(dev / n), min, max, norm: Math.sqrt(sq) };
}

/**
 * Names of a Gaussian MLP policy's tensors, from their shapes: weight/bias pairs, then the log-std
 * vector. Returns null when the shapes are not of that form.
 */
export function policyTensorNames(shapes: readonly number[][]): string[] | null {
  if (shapes.length < 3 || shapes.length % 2 !== 1) return null;
  const layers = (shapes.length - 1) / 2;
  const names: string[] = [];
  for (let l = 0; l < layers; l++) {
    const w = shapes[2 * l]!;
    const b = shapes[2 * l + 1]!;
    if (w.length !== 2 || b.length !== 1 || w[1] !== b[0]) return null;
    const label = l === layers - 1 ? 'output' : `layer ${l + 1}`;
    names.push(`${label} weights`, `${label} bias`);
  }
  const last = shapes.at(-1)!;
  if (last.length !== 1 || last[0] !== shapes.at(-2)![0]) return null;
  names.push('log σ');
  return names;
}

/** Per-tensor statistics of a loaded checkpoint; s rows follow the θ rows when the run learns its step sizes. */
export function inspectCheckpoint(ck: Checkpoint): Inspection {
  if (typeof ck !== 'object' || ck === null || !('meta' in ck) || !('params' in ck)) {
    throw new ConfigError('ck', typeof ck === 'string' ? ck : typeof ck, `must be a checkpoint as loadCheckpoint returns it${typeof ck === 'string' ? ': inspectCheckpoint(loadCheckpoint(dir))' : ''}`);
  }
  const cfg = validateConfig(ck.meta.config);
  // maml-trpo with adaptation.learnedLr stores the multipliers s after θ, and Meta-SGD (supervised) its rates, shaped alike.
  const learnedKind = cfg.algo === 'meta-sgd' ? 'rates' : cfg.algo === 'maml-trpo' && cfg.adaptation.learnedLr ? 'multipliers' : null;
  const learnedLr = learnedKind !== null;
  const [lo, hi] = learnedKind === 'rates' ? [S_BAND[0] * cfg.adaptation.fastLr, S_BAND[1] * cfg.adaptation.fastLr] : S_BAND;
  const { shapes } = ck.meta;
  const nTheta = learnedLr ? shapes.length / 2 : shapes.length;
  if (!Number.isInteger(nTheta)) throw new RangeError(`inspect: ${shapes.length} tensors cannot be split into parameters and as many step-size multipliers`);
  const thetaShapes = shapes.slice(0, nTheta);
  const names = policyTensorNames(thetaShapes) || thetaShapes.map((_, i) => `tensor ${i}`);
  const tensors = ck.params.map((values, i): TensorStats => {
    const isS = i >= nTheta;
    const row: TensorStats = { name: names[i % nTheta]!, part: !isS ? 'theta' : learnedKind === 'rates' ? 'rate' : 's', shape: shapes[i]!, ...tensorStats(values) };
    if (isS) {
      let outside = 0;
      let negative = 0;
      for (const v of values) {
        if (v < lo || v > hi) outside++;
        if (v < 0) negative++;
      }
      row.outside = outside;
      row.negative = negative;
    }
    return row;
  });
  return { env: cfg.env, algo: cfg.algo, iteration: ck.meta.iteration, fastLr: cfg.adaptation.fastLr, learnedLr, learnedKind, tensors };
}

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(4)) : String(v));

/** The inspection as markdown: a θ table, and an s table for learned step sizes. */
export function inspectionMarkdown(r: Inspection, run: string): string {
  const learned =
    r.learnedKind === 'rates' ? ' (learned rates: the inner step of each entry is its own rate, started at α)' : r.learnedLr ? ' (learned multipliers s: the inner step of each entry is α·s)' : '';
  const head = `${run}: ${r.env}, ${r.algo}, iteration ${r.iteration}, α = ${r.fastLr}${learned}`;
  const theta = r.tensors.filter((t) => t.part === 'theta');
  const lines = [head, '', '| tensor | shape | mean | std | min | max | norm |', '|---|---|---|---|---|---|---|'];
  for (const t of theta) lines.push(`| ${t.name} | ${t.shape.join('×')} | ${fmt(t.mean)} | ${fmt(t.std)} | ${fmt(t.min)} | ${fmt(t.max)} | ${fmt(t.norm)} |`);
  const s = r.tensors.filter((t) => t.part !== 'theta');
  if (s.length > 0) {
    const rates = r.learnedKind === 'rates';
    const band = rates ? `${fmt(S_BAND[0] * r.fastLr)}–${fmt(S_BAND[1] * r.fastLr)}` : `${S_BAND[0]}–${S_BAND[1]}`;
    lines.push('', `| ${rates ? 'rates' : 's'} of tensor | entries | mean | std | min | max | outside ${band} | negative |`, '|---|---|---|---|---|---|---|---|');
    for (const t of s) lines.push(`| ${t.name} | ${t.size} | ${fmt(t.mean)} | ${fmt(t.std)} | ${fmt(t.min)} | ${fmt(t.max)} | ${t.outside} | ${t.negative} |`);
  }
  return lines.join('\n');
}
