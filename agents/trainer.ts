import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type TrainConfig } from '../src/config.ts';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint.ts';
import { createRng } from '../src/rng.ts';
import { make } from '../envs/index.ts';
import { MamlTrpo, type StepLogs } from './maml-trpo.ts';
import { versions } from '../src/versions.ts';
import { TaskObservationWrapper } from '../envs/oracle.ts';
import type { MetaEnv } from '../src/types.ts';

/** Options of {@link train}. */
export interface TrainOptions {
  /** Run directory: config.json, progress.jsonl, checkpoint/. */
  out: string;
  /** Continue from `out/checkpoint` instead of starting a new run. */
  resume?: boolean;
  /** Progress output (one line per iteration). Default: none. */
  log?: (line: string) => void;
  /** Stop after this many iterations of this call (for tests of resuming); default: run to the end. */
  stopAfter?: number;
  /**
   * Worker threads for the per-task work (default 1: in-process). A run-time resource like the
   * backend, not part of the config: results are identical for any value, so it may change on resume.
   */
  workers?: number;
  /** Modules the workers import before making envs (ones that `register` custom envs). */
  envModules?: Array<string | URL>;
}

/** The env factory a config trains on: the registered env, seen through the task for the oracle. */
export function envFactory(config: TrainConfig): () => MetaEnv {
  return config.algo === 'oracle' ? () => new TaskObservationWrapper(make(config.env)) : () => make(config.env);
}

/** Throws a {@link ConfigError} if `dir` already holds a run (so a new run never overwrites one). */
export function assertNoRun(dir: string): void {
  if (existsSync(join(dir, 'progress.jsonl')) || existsSync(join(dir, 'checkpoint')) || existsSync(join(dir, 'checkpoint.old'))) {
    throw new ConfigError('--out', dir, 'already holds a run; pass --resume to continue it or choose another directory');
  }
}

/** One line of `progress.jsonl`: the step logs plus the live tensor count. */
export type ProgressRecord = StepLogs & { numTensors: number };

/**
 * Trains a meta-learner as configured, writing `out/config.json`, one JSON line per iteration to
 * `out/progress.jsonl`, and an atomic checkpoint every `checkpointEvery` iterations and at the end.
 * A new run refuses a directory that already holds a run; `resume` continues one.
 */
export async function train(config: TrainConfig, opts: TrainOptions): Promise<{ params: Float32Array[]; records: ProgressRecord[] }> {
  const log = opts.log ?? (() => {});
  const progressPath = join(opts.out, 'progress.jsonl');
  const makeEnv = envFactory(config);
  const env = makeEnv();
  const root = createRng(config.seed);
  let start = 0;
  let params: Float32Array[];
  if (opts.resume) {
    const ck = loadCheckpoint(opts.out);
    params = ck.params;
    start = ck.meta.iteration;
    // Drop progress lines past the checkpoint: those iterations are run again, identically.
    if (existsSync(progressPath)) {
      const kept = readFileSync(progressPath, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .filter((l) => (JSON.parse(l) as ProgressRecord).iteration < start);
      writeFileSync(progressPath, kept.map((l) => `${l}\n`).join(''));
    }
    log(`resuming ${opts.out} at iteration ${start}`);
  } else {
    assertNoRun(opts.out);
    mkdirSync(opts.out, { recursive: true });
    params = MamlTrpo.initParams(config, makeEnv, root);
    writeFileSync(join(opts.out, 'config.json'), JSON.stringify({ config, versions: versions() }, null, 2));
    writeFileSync(progressPath, '');
  }
  const agent = new MamlTrpo(config, makeEnv, params, { workers: opts.workers, envModules: opts.envModules });
  agent.rootRng = root;
  const checkpoint = (iteration: number) =>
    saveCheckpoint(
      opts.out,
      {
        iteration,
        config,
        obsDim: agent.policy.obsDim,
        actDim: agent.policy.actDim,
        shapes: agent.policy.shapes,
        rng: { seed: config.seed, nextIteration: iteration },
        versions: versions(),
      },
      agent.params,
    );
  const records: ProgressRecord[] = [];
  const end = opts.stopAfter !== undefined ? Math.min(config.iterations, start + opts.stopAfter) : config.iterations;
  try {
    for (let it = start; it < end; it++) {
      const logs = await agent.step(env, it);
      const rec: ProgressRecord = { ...logs, numTensors: agent.liveTensors() };
      appendFileSync(progressPath, `${JSON.stringify(rec)}\n`);
      records.push(rec);
      log(
        `it ${String(it + 1).padStart(4)}/${config.iterations}  before ${logs.returnsBefore.toFixed(2).padStart(8)}  after ${logs.returnsAfter
          .toFixed(2)
          .padStart(8)}  kl ${logs.kl.toExponential(2)}  ${logs.stepOutcome}${logs.lineSearchAccepted ? `(${logs.lineSearchSteps})` : ''}  ${logs.time.total.toFixed(1)}s`,
      );
      if ((it + 1) % config.checkpointEvery === 0 || it + 1 === config.iterations) checkpoint(it + 1);
    }
  } finally {
    await agent.close();
  }
  if (end > start && end % config.checkpointEvery !== 0 && end !== config.iterations) checkpoint(end);
  return { params: agent.params, records };
}
