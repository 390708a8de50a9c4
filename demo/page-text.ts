/**
 * What the demo page says and offers for a run, free of the DOM (so it is tested in Node): the
 * URL parameters it reads, what its training button runs, whether its playground adapts, how its
 * curves are labelled and how a run's learned step sizes are described.
 */
import type { TrainConfig } from '../src/config.ts';
import type { ParamValues } from '../src/policy.ts';

/** The backends the page can run on (the native ones are Node only). */
export const PAGE_BACKENDS = ['wasm', 'cpu'] as const;

/** The page's URL parameters, read by {@link pageSettings}. */
export interface PageSettings {
  /** Root seed of the page's episode streams (`?seed=N`, an integer ≥ 0; default 1). */
  seed: number;
  /** tfjs backend (`?backend=wasm|cpu`, default wasm). */
  backend: (typeof PAGE_BACKENDS)[number];
}

/**
 * Reads `?seed=` and `?backend=` from a URL's query string.
 * @throws Error naming the URL parameter and its value when one is not a value the page takes.
 */
export function pageSettings(search: string): PageSettings {
  const q = new URLSearchParams(search);
  const seedText = q.get('seed');
  let seed = 1;
  if (seedText !== null) {
    seed = /^\s*\d+\s*$/.test(seedText) ? Number(seedText) : NaN;
    if (!Number.isSafeInteger(seed)) throw new Error(`URL parameter seed: ${JSON.stringify(seedText)} is not an integer ≥ 0 (e.g. ?seed=2)`);
  }
  const backend = q.get('backend') ?? 'wasm';
  if (!(PAGE_BACKENDS as readonly string[]).includes(backend)) {
    throw new Error(`URL parameter backend: ${JSON.stringify(backend)} is not one the page can use; use ${PAGE_BACKENDS.join(' or ')}`);
  }
  return { seed, backend: backend as PageSettings['backend'] };
}

/** How the page presents a run of a given algo. */
export interface RunKind {
  /** Whether the playground takes gradient steps (an oracle run is scored as it is, as `metarl evaluate` does). */
  adapts: boolean;
  /** What the in-page training runs, for its button and notes ("MAML-TRPO", "TRPO (pretrained)", …). */
  trainer: string;
  /** The y-axis label of the training curves. */
  yLabel: string;
  /** The training curves' series: `returnsAfter` is the only one for algos that train without inner steps. */
  series: { key: 'returnsBefore' | 'returnsAfter'; label: string }[];
}

/** The page's presentation of a run trained with `cfg` (`supervised`: its env is a supervised one). */
export function runKind(cfg: Pick<TrainConfig, 'algo' | 'adaptation'>, supervised: boolean): RunKind {
  const what = supervised ? 'minus the query loss' : 'mean return';
  // pretrained and oracle train without inner steps: their logs' before and after are one number.
  const single = cfg.algo === 'pretrained' || cfg.algo === 'oracle';
  const steps = cfg.adaptation.numInnerSteps;
  const series: RunKind['series'] = single
    ? [{ key: 'returnsAfter', label: `${what}, no adaptation in training (${cfg.algo})` }]
    : [
        { key: 'returnsBefore', label: 'before adaptation' },
        { key: 'returnsAfter', label: supervised ? 'after adaptation' : `after ${steps} gradient step${steps === 1 ? '' : 's'}` },
      ];
  return {
    adapts: cfg.algo !== 'oracle',
    trainer: cfg.algo === 'maml-trpo' ? 'MAML-TRPO' : single ? `TRPO (${cfg.algo})` : cfg.algo,
    yLabel: what,
    series,
  };
}

/**
 * The step size as the run info shows it: α, and with learned multipliers s (`lrScale`, the
 * second half of a learned-step-size run's parameters) that the step of each entry is α·s, with
 * the spread of s.
 */
export function stepSizeText(fastLr: number, lrScale: ParamValues | null): string {
  if (!lrScale) return `α = ${fastLr}`;
  const all = lrScale.flatMap((t) => Array.from(t));
  if (all.length === 0) return `α = ${fastLr}`;
  const sorted = all.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const g = (x: number) => Number(x.toPrecision(3));
  return `α = ${fastLr} × learned multipliers s (median ${g(median)}, from ${g(sorted[0]!)} to ${g(sorted.at(-1)!)}; the step of each parameter is α·s)`;
}
