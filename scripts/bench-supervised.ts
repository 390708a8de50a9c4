/**
 * Seconds per supervised meta-iteration (Omniglot conv net or sine regressor) for several worker
 * counts, run alternately in one process so they see the same machine: wall time, and the CPU time
 * of the busiest thread (≈ the wall time with a free core per worker, which holds on a loaded
 * machine). Iterations start from the run's initial parameters (seed 1); the first `--warmup` are
 * untimed. The results are the same for every worker count (tested), only the time differs.
 *
 *   npx tsx scripts/bench-supervised.ts [--env Omniglot5Way1Shot-v0] [--algo maml] [--iterations 3]
 *                                       [--warmup 1] [--rounds 2] [--max-workers 2] [--meta-batch-size N]
 */
import * as os from 'node:os';
import '../envs/omniglot-register.ts'; // the Omniglot envs (Node only)
import { initBackend } from '../src/backend.ts';
import { SUPERVISED_ALGOS, resolveConfig } from '../src/config.ts';
import { createRng } from '../src/rng.ts';
import { envFactory } from '../agents/trainer.ts';
import { SupervisedMetaLearner } from '../agents/supervised-meta.ts';
import { busiestThread, spread, threadCpuSeconds } from '../agents/bench.ts';
import type { SupervisedMetaEnv } from '../src/types.ts';
import { scriptArgs, scriptFail } from './args.ts';
import { make } from '../envs/index.ts';
import { isSupervised } from '../src/env-contract.ts';

const args = scriptArgs('bench-supervised', { env: 'Omniglot5Way1Shot-v0', algo: SUPERVISED_ALGOS, iterations: 3, warmup: 1, rounds: 2, 'max-workers': 2, 'meta-batch-size': null });
const { env: envId, algo, iterations, warmup, rounds, 'max-workers': maxWorkers, 'meta-batch-size': mbs } = args;
// An unknown id lists the known ones; an RL env is timed by `metarl bench`.
try {
  if (!isSupervised(make(envId))) throw new Error(`--env: ${envId} is an RL env, and this script times supervised learners: time it with \`metarl bench --env ${envId}\``);
} catch (e) {
  scriptFail('bench-supervised', (e as Error).message);
}

await initBackend('wasm');
const config = resolveConfig(envId, undefined, { algo, ...(mbs !== undefined && { sampling: { metaBatchSize: mbs } }) });
const env = envFactory(config)() as SupervisedMetaEnv;
console.log(`${envId} ${algo}: meta-batch ${config.sampling.metaBatchSize}, ${config.adaptation.numInnerSteps} inner step(s); ${os.availableParallelism()} cores, load ${os.loadavg()[0]!.toFixed(2)}`);

const wall = new Map<number, number[]>();
const busiest = new Map<number, number[]>();
for (let round = 0; round < rounds; round++) {
  for (let workers = 1; workers <= maxWorkers; workers++) {
    const root = createRng(config.seed);
    const learner = new SupervisedMetaLearner(config, env, SupervisedMetaLearner.initParams(config, env, root), undefined, { workers });
    learner.rootRng = root;
    try {
      for (let it = 0; it < warmup + iterations; it++) {
        const th0 = threadCpuSeconds();
        const t0 = performance.now();
        await learner.step(env, it);
        const seconds = (performance.now() - t0) / 1000;
        const b = busiestThread(th0, threadCpuSeconds());
        if (it < warmup) continue;
        (wall.get(workers) ?? wall.set(workers, []).get(workers)!).push(seconds);
        if (b !== null) (busiest.get(workers) ?? busiest.set(workers, []).get(workers)!).push(b);
        console.log(`round ${round + 1}, ${workers} worker(s), iteration ${it}: ${seconds.toFixed(2)} s (busiest thread ${b?.toFixed(2) ?? '–'} s cpu)`);
      }
    } finally {
      await learner.close();
    }
  }
}
console.log('\n| workers | median s / iteration (min–max) | busiest thread, median cpu s | speed-up (wall) | speed-up (busiest thread) |\n|---|---|---|---|---|');
const w1 = spread(wall.get(1)!).median;
const b1 = busiest.has(1) ? spread(busiest.get(1)!).median : Number.NaN;
for (let workers = 1; workers <= maxWorkers; workers++) {
  const s = spread(wall.get(workers)!);
  const b = busiest.has(workers) ? spread(busiest.get(workers)!).median : Number.NaN;
  console.log(`| ${workers} | ${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)}) | ${b.toFixed(2)} | ${(w1 / s.median).toFixed(2)} | ${(b1 / b).toFixed(2)} |`);
}
