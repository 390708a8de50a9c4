import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { resolveConfig } from '../../src/config.ts';
import { benchEnvSteps, benchMetaIterations, formatBenchReport, spread } from '../../agents/bench.ts';

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

describe('bench', () => {
  it('spread gives median, min and max', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('times meta-iterations with a phase breakdown', async () => {
    const config = resolveConfig('Navigation2D-v0', 'tiny');
    const r = await benchMetaIterations({ env: 'Navigation2D-v0', config, iterations: 2 });
    expect(r.iterations).toHaveLength(2);
    expect(r.secondsPerIteration.min).toBeGreaterThan(0);
    expect(r.secondsPerIteration.min).toBeLessThanOrEqual(r.secondsPerIteration.max);
    for (const k of ['sampling', 'metaGradient', 'cg', 'lineSearch'] as const) expect(r.phases[k]).toBeGreaterThan(0);
    // tiny: 4 tasks × 5 episodes × ≤ 100 steps, sampled before and after adaptation.
    expect(r.iterations[0]!.envSteps).toBeGreaterThan(0);
    expect(r.iterations[0]!.envSteps).toBeLessThanOrEqual(2 * 4 * 5 * 100);
    expect(r.liveTensors).toBe(0);
    expect(r.peakRssMiB).toBeGreaterThan(0);
    if (r.busiestThreadCpuSecondsPerIteration) expect(r.busiestThreadCpuSecondsPerIteration.max).toBeLessThanOrEqual(r.cpuSecondsPerIteration.max + 0.05);
    expect(formatBenchReport(r)).toMatch(/seconds \/ iteration: median/);
  }, 30_000);

  it('measures env control steps per second', () => {
    const [row] = benchEnvSteps(['Navigation2D-v0'], { minSeconds: 0.2 });
    expect(row!.env).toBe('Navigation2D-v0');
    expect(row!.steps).toBeGreaterThan(100);
    expect(row!.stepsPerSecond).toBeGreaterThan(0);
    expect(Number.isFinite(row!.stepsPerCpuSecond) && row!.stepsPerCpuSecond > 0).toBe(true);
  });

  it('metarl bench --env-only writes JSON', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'metarl-bench-')), 'env.json');
    const bin = join(__dirname, '..', '..', 'bin', 'metarl.mjs');
    const r = spawnSync(process.execPath, [bin, 'bench', '--env-only', '--env', 'Navigation2D-v0', '--json', json], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| Navigation2D-v0 \| \d+ \|/);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { kind: string; envs: Array<{ env: string; stepsPerSecond: number }> };
    expect(doc.kind).toBe('env-steps');
    expect(doc.envs[0]!.stepsPerSecond).toBeGreaterThan(0);
  }, 60_000);

  it('metarl bench --config applies the file over the reference configuration; a missing file exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metarl-bench-'));
    const cfg = join(dir, 'small.json');
    writeFileSync(cfg, JSON.stringify({ sampling: { metaBatchSize: 2, fastBatchSize: 2 }, policy: { hiddenSizes: [8] }, trpo: { fvpSubsample: 0.5 } }));
    const bin = join(__dirname, '..', '..', 'bin', 'metarl.mjs');
    const json = join(dir, 'bench.json');
    const args = ['bench', '--env', 'Navigation2D-v0', '--iterations', '1', '--workers', '1', '--backend', 'wasm'];
    const r = spawnSync(process.execPath, [bin, ...args, '--config', cfg, '--json', json], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 tasks × 2 episodes × 100 steps, 8 tanh, 10 CG iterations \(finite-difference FVP on 0\.5 of the tasks\)/);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { config: { metaBatchSize: number; fvpSubsample: number; hiddenSizes: number[] } };
    expect(doc.config).toMatchObject({ metaBatchSize: 2, fvpSubsample: 0.5, hiddenSizes: [8] });

    const missing = join(dir, 'nope.json');
    const bad = spawnSync(process.execPath, [bin, ...args, '--config', missing], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(`metarl: --config: file not found (got ${JSON.stringify(missing)})\n`);
    // A supervised env trains with another learner: its MAML-TRPO time would mean nothing.
    const sine = spawnSync(process.execPath, [bin, 'bench', '--env', 'SineRegression-v0', '--iterations', '1'], { encoding: 'utf8', timeout: 60_000 });
    expect(sine.status).toBe(2);
    expect(sine.stderr).toContain('--env: is a supervised env, and bench times MAML-TRPO meta-iterations of RL envs');
  }, 60_000);
});
