/**
 * Throughput of the half-cheetah envs on one core: control steps per second under uniform random
 * actions (episodes of 100 steps, resets included) and the time of one `reset`.
 *
 *   npx tsx scripts/bench-env.ts [--steps 100000] [--resets 2000]
 *
 * (20,000 steps read ~40 % low: the JIT has not settled by then.)
 */
import { HalfCheetahDirEnv, HalfCheetahVelEnv } from '../envs/half-cheetah.ts';
import { createRng } from '../src/rng.ts';
import type { Env } from '../src/types.ts';
import { scriptArgs } from './args.ts';

const { steps, resets } = scriptArgs('bench-env', { steps: 100000, resets: 2000 });

/** A pool of pre-drawn actions, so the timing is the env's and not the RNG's. */
const rng = createRng(0);
const actions = Array.from({ length: 1024 }, () => Float32Array.from({ length: 6 }, () => rng.uniformRange(-1, 1)));

function run(env: Env, n: number): void {
  env.reset({ seed: 0 });
  for (let t = 0; t < n; t++) {
    if (env.step(actions[t % actions.length]!).truncated) env.reset();
  }
}

function measure(make: () => Env): { id: string; stepsPerSecond: number; resetMs: number } {
  const env = make();
  run(env, Math.min(steps, 2000)); // warm-up for the JIT
  const t0 = performance.now();
  run(env, steps);
  const stepSeconds = (performance.now() - t0) / 1000;

  for (let i = 0; i < 200; i++) env.reset({ seed: i });
  const t1 = performance.now();
  for (let i = 0; i < resets; i++) env.reset({ seed: i });
  const resetMs = (performance.now() - t1) / resets;
  return { id: env.id, stepsPerSecond: steps / stepSeconds, resetMs };
}

const rows = [measure(() => new HalfCheetahVelEnv()), measure(() => new HalfCheetahDirEnv())];
console.log(`node ${process.version}, ${steps} control steps (5 physics steps each), ${resets} resets\n`);
console.log('| env | control steps/s | reset (ms) |');
console.log('|---|---:|---:|');
for (const r of rows) console.log(`| ${r.id} | ${Math.round(r.stepsPerSecond)} | ${r.resetMs.toFixed(3)} |`);
