/**
 * Measurements behind `metarl bench`: seconds per MAML-TRPO meta-iteration with its phase
 * breakdown, and env control steps per second. The CLI (scripts/bench.ts) only parses and prints.
 */
import * as os from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import * as tf from '#tfjs';
import { ConfigError, checkOptionKeys, resolveConfig, type TrainConfig } from '../src/config.ts';
import { createRng } from '../src/rng.ts';
import { make } from '../envs/index.ts';
import { versions } from '../src/versions.ts';
import { MamlTrpo, type PhaseTimes } from './maml-trpo.ts';
import { checkEpisodeMemory, envFactory } from './trainer.ts';

/** Options of {@link benchMetaIterations}. */
export interface BenchOptions {
  env: string;
  /** Timed meta-iterations (after `warmup` untimed ones). Default 5. */
  iterations?: number;
  /** Untimed iterations first (worker start-up, kernel compilation, first allocations). Default 1. */
  warmup?: number;
  /** Worker threads (1 = in-process). Default 1. */
  workers?: number;
  /** The configuration; default: the env's default preset (the reference configuration). */
  config?: TrainConfig;
  /** Modules the workers import before making envs (ones that `register` custom envs). */
  envModules?: Array<string | URL>;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Median, minimum and maximum of a sample. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One timed meta-iteration. */
export interface BenchIteration {
  iteration: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of this process (all its threads) during the iteration. */
  cpuSeconds: number;
  /**
   * CPU seconds of the busiest thread during the iteration (Linux; null elsewhere): about what the
   * iteration would take with a free core per worker, whatever else the machine is running.
   */
  busiestThreadCpuSeconds: number | null;
  /** Env control steps sampled. */
  envSteps: number;
  time: PhaseTimes;
}

/** What {@link benchMetaIterations} reports (also the JSON of `metarl bench --json`). */
export interface BenchReport {
  kind: 'meta-iteration';
  env: string;
  backend: string;
  workers: number;
  machine: { cores: number; loadAverage1m: number; cpu: string };
  versions: Record<string, string>;
  config: {
    metaBatchSize: number;
    fastBatchSize: number;
    horizon: number;
    hiddenSizes: number[];
    activation: string;
    cgIters: number;
    fvp: string;
    /** `trpo.fvpSubsample`: fraction of the tasks in the Fisher-vector products. */
    fvpSubsample: number;
    firstOrder: boolean;
  };
  /** Seconds of construction plus the warm-up iterations (worker start-up included). */
  startupSeconds: number;
  secondsPerIteration: Spread;
  cpuSecondsPerIteration: Spread;
  /** See {@link BenchIteration.busiestThreadCpuSeconds}; null where per-thread times are unavailable. */
  busiestThreadCpuSecondsPerIteration: Spread | null;
  /** Median seconds per phase. Phases done in workers (sampling, baseline, adaptation) report the slowest worker. */
  phases: PhaseTimes;
  /** Env control steps per wall-clock second of whole iterations (median). */
  envStepsPerSecond: number;
  /** Peak resident set size of the process (all threads), MiB. */
  peakRssMiB: number;
  /** Live tensors after the last iteration (this thread and the workers). */
  liveTensors: number;
  iterations: BenchIteration[];
}

/** Median (mean of the middle two for an even count), min and max. */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** CPU seconds of each thread of this process, from /proc (Linux, clock ticks of 10 ms); null elsewhere. */
export function threadCpuSeconds(): Map<string, number> | null {
  try {
    const out = new Map<string, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime, USER_HZ = 100
    }
    return out;
  } catch {
    return null;
  }
}

/** CPU seconds of the thread that used the most between two {@link threadCpuSeconds} readings (null if unavailable). */
export function busiestThread(before: Map<string, number> | null, after: Map<string, number> | null): number | null {
  if (!before || !after) return null;
  let max = 0;
  for (const [tid, t] of after) max = Math.max(max, t - (before.get(tid) ?? 0));
  return max;
}

/**
 * Runs `warmup` + `iterations` meta-iterations of MAML-TRPO from the initial parameters of the
 * config's seed (the training run's first iterations) and reports time per iteration and per
 * phase, CPU time, env steps per second, peak RSS and the live tensor count. Needs `initBackend` first.
 */
export async function benchMetaIterations(opts: BenchOptions): Promise<BenchReport> {
  if (typeof opts !== 'object' || opts === null) throw new ConfigError('options', opts, 'must be an object ({ env, iterations, warmup, workers, config, envModules, log }, all but env optional)');
  checkOptionKeys(opts, { env: true, iterations: true, warmup: true, workers: true, config: true, envModules: true, log: true }, 'benchMetaIterations');
  const iterations = opts.iterations ?? 5;
  const warmup = opts.warmup ?? 1;
  const log = opts.log ?? (() => {});
  const config = opts.config ?? resolveConfig(opts.env, undefined);
  // At most one worker per task, as train starts (the report gives the number used).
  const workers = Math.min(opts.workers ?? 1, config.sampling.metaBatchSize);
  const makeEnv = envFactory(config);
  const env = makeEnv();
  checkEpisodeMemory(config, env);
  const root = createRng(config.seed);
  const t0 = performance.now();
  const agent = new MamlTrpo(config, makeEnv, MamlTrpo.initParams(config, makeEnv, root), { workers, envModules: opts.envModules });
  agent.rootRng = root;
  const runs: BenchIteration[] = [];
  let startupSeconds = 0;
  try {
    for (let it = 0; it < warmup + iterations; it++) {
      const c0 = cpuSeconds();
      const th0 = threadCpuSeconds();
      const w0 = performance.now();
      const logs = await agent.step(env, it);
      const seconds = (performance.now() - w0) / 1000;
      const busiest = busiestThread(th0, threadCpuSeconds());
      if (it < warmup) {
        startupSeconds = (performance.now() - t0) / 1000;
        log(`warm-up ${it + 1}/${warmup}: ${seconds.toFixed(2)} s`);
        continue;
      }
      const run: BenchIteration = { iteration: it, seconds, cpuSeconds: cpuSeconds() - c0, busiestThreadCpuSeconds: busiest, envSteps: agent.lastEnvSteps, time: logs.time };
      runs.push(run);
      log(
        `iteration ${it - warmup + 1}/${iterations}: ${seconds.toFixed(2)} s (cpu ${run.cpuSeconds.toFixed(2)} s; ` +
          `sampling ${logs.time.sampling.toFixed(2)}, cg ${logs.time.cg.toFixed(2)}, line search ${logs.time.lineSearch.toFixed(2)})`,
      );
    }
  } finally {
    await agent.close();
  }
  const med = (f: (r: BenchIteration) => number) => spread(runs.map(f)).median;
  const phases = {} as PhaseTimes;
  for (const k of ['sampling', 'baseline', 'adaptation', 'metaGradient', 'cg', 'lineSearch', 'total'] as const) phases[k] = med((r) => r.time[k]);
  return {
    kind: 'meta-iteration',
    env: config.env,
    backend: tf.getBackend(),
    workers,
    machine: { cores: os.availableParallelism(), loadAverage1m: os.loadavg()[0]!, cpu: os.cpus()[0]?.model ?? 'unknown' },
    versions: versions(),
    config: {
      metaBatchSize: config.sampling.metaBatchSize,
      fastBatchSize: config.sampling.fastBatchSize,
      horizon: env.maxEpisodeSteps,
      hiddenSizes: config.policy.hiddenSizes,
      activation: config.policy.activation,
      cgIters: config.trpo.cgIters,
      fvp: config.trpo.fvp,
      fvpSubsample: config.trpo.fvpSubsample,
      firstOrder: config.adaptation.firstOrder,
    },
    startupSeconds,
    secondsPerIteration: spread(runs.map((r) => r.seconds)),
    cpuSecondsPerIteration: spread(runs.map((r) => r.cpuSeconds)),
    busiestThreadCpuSecondsPerIteration: runs.every((r) => r.busiestThreadCpuSeconds !== null)
      ? spread(runs.map((r) => r.busiestThreadCpuSeconds!))
      : null,
    phases,
    envStepsPerSecond: med((r) => r.envSteps / r.seconds),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    liveTensors: agent.liveTensors(),
    iterations: runs,
  };
}

/** One env's stepping speed. */
export interface EnvBench {
  env: string;
  steps: number;
  episodes: number;
  seconds: number;
  stepsPerSecond: number;
  /**
   * Control steps per CPU second of this process (user + system; the stepping is single-threaded),
   * which holds on a loaded machine where wall-clock throughput does not.
   */
  stepsPerCpuSecond: number;
  /** Mean seconds per `reset` (included in `seconds`). */
  resetSeconds: number;
}

/**
 * Control steps per second of each env on this thread, with uniformly random actions in the action
 * space (seeded, drawn beforehand), resets included: at least `minSeconds` of stepping per env, after a short warm-up.
 * `log` gets a line as each env starts (the whole takes a few seconds per env).
 */
export function benchEnvSteps(envIds: readonly string[], opts: { minSeconds?: number; seed?: number; log?: (line: string) => void } = {}): EnvBench[] {
  const minSeconds = opts.minSeconds ?? 2;
  return envIds.map((id, i) => {
    opts.log?.(`bench: env steps of ${id} (${i + 1}/${envIds.length}, at least ${minSeconds} s)`);
    const env = make(id);
    const rng = createRng(opts.seed ?? 1).fork('bench-env', id);
    const [task] = env.sampleTasks(1, rng.fork('task'));
    env.setTask(task!);
    const { low, high } = env.actionSpace;
    // Pre-drawn actions, so the timing is the env's and not the RNG's.
    const actions = Array.from({ length: 1024 }, () =>
      Float32Array.from(low, (l, d) => rng.uniformRange(Number.isFinite(l) ? l : -1, Number.isFinite(high[d]!) ? high[d]! : 1)),
    );
    let steps = 0;
    let episodes = 0;
    let resetTime = 0;
    const run = (seconds: number) => {
      const start = performance.now();
      let s = 0;
      while ((performance.now() - start) / 1000 < seconds) {
        const r0 = performance.now();
        env.reset({ seed: episodes });
        resetTime += performance.now() - r0;
        episodes++;
        for (;;) {
          const r = env.step(actions[s % actions.length]!);
          s++;
          if (r.terminated || r.truncated) break;
        }
      }
      return { s, seconds: (performance.now() - start) / 1000 };
    };
    run(Math.min(0.3, minSeconds / 4));
    steps = 0;
    episodes = 0;
    resetTime = 0;
    const cpu0 = process.cpuUsage();
    const { s, seconds } = run(minSeconds);
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    steps = s;
    return { env: id, steps, episodes, seconds, stepsPerSecond: steps / seconds, stepsPerCpuSecond: steps / cpuSeconds, resetSeconds: resetTime / 1000 / episodes };
  });
}

/** The human-readable summary of a {@link BenchReport}. */
export function formatBenchReport(r: BenchReport): string {
  const f = (x: number) => x.toFixed(2);
  const c = r.config;
  const lines = [
    `${r.env}: ${c.metaBatchSize} tasks × ${c.fastBatchSize} episodes × ${c.horizon} steps, ${c.hiddenSizes.join('-')} ${c.activation}, ` +
      `${c.cgIters} CG iterations (${c.fvp} FVP${c.fvpSubsample < 1 ? ` on ${c.fvpSubsample} of the tasks` : ''}${c.firstOrder ? ', first order' : ''}); backend ${r.backend}, ${r.workers} worker${r.workers === 1 ? '' : 's'}, ` +
      `${r.machine.cores} cores (load ${r.machine.loadAverage1m.toFixed(2)})`,
    `seconds / iteration: median ${f(r.secondsPerIteration.median)}  min ${f(r.secondsPerIteration.min)}  max ${f(r.secondsPerIteration.max)}  ` +
      `(${r.iterations.length} iteration${r.iterations.length === 1 ? '' : 's'} after ${f(r.startupSeconds)} s of start-up and warm-up)`,
    `cpu seconds / iteration: ${f(r.cpuSecondsPerIteration.median)} in all threads` +
      (r.busiestThreadCpuSecondsPerIteration
        ? `, ${f(r.busiestThreadCpuSecondsPerIteration.median)} in the busiest (≈ wall time with a free core per worker)`
        : ''),
    `phases (median s): ${(['sampling', 'baseline', 'adaptation', 'metaGradient', 'cg', 'lineSearch'] as const).map((k) => `${k} ${f(r.phases[k])}`).join('  ')}`,
    `env steps / s: ${Math.round(r.envStepsPerSecond)}   peak RSS: ${r.peakRssMiB.toFixed(0)} MiB   live tensors: ${r.liveTensors}`,
  ];
  return lines.join('\n');
}

/** The human-readable table of {@link benchEnvSteps}. */
export function formatEnvBench(rows: readonly EnvBench[]): string {
  return [
    '| env | control steps / s (wall) | per CPU second | reset (ms) | steps measured |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.env} | ${Math.round(r.stepsPerSecond)} | ${Math.round(r.stepsPerCpuSecond)} | ${(r.resetSeconds * 1000).toPrecision(3)} | ${r.steps} |`),
  ].join('\n');
}
