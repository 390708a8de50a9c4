import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/backend.ts';
import { ConfigError, resolveConfig, type TrainConfig } from '../../src/config.ts';
import { createRng } from '../../src/rng.ts';
import { flattenValues } from '../../src/params.ts';
import { MamlTrpo } from '../../agents/maml-trpo.ts';
import { MamlShard } from '../../agents/maml-shard.ts';
import { fvpTaskIndices } from '../../agents/shards.ts';
import { make } from '../../envs/index.ts';
import { relErr } from '../grad/maml-fixture.ts';

// Every trpoStep call of the agent also applies its Fisher-vector product to `probe`, so the test
// can compare the product the agent built with one assembled here from per-task rows.
const state = vi.hoisted(() => ({ probe: null as Float64Array | null, x0: null as Float64Array | null, fv: null as Float64Array | null }));
vi.mock('../../src/trpo.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/trpo.ts')>();
  return {
    ...mod,
    trpoStep: async (p: Parameters<typeof mod.trpoStep>[0], cfg: Parameters<typeof mod.trpoStep>[1]) => {
      if (state.probe) {
        state.x0 = p.x0.slice();
        state.fv = await p.fvp(state.probe);
      }
      return mod.trpoStep(p, cfg);
    },
  };
});

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

describe('fvpTaskIndices', () => {
  it('picks round(fraction · n) evenly spaced tasks, at least one', () => {
    expect(fvpTaskIndices(4, 0.5)).toEqual([1, 3]);
    expect(fvpTaskIndices(20, 0.25)).toEqual([2, 6, 10, 14, 18]);
    expect(fvpTaskIndices(40, 0.1)).toEqual([5, 15, 25, 35]);
    expect(fvpTaskIndices(40, 0.25)).toEqual([2, 6, 10, 14, 18, 22, 26, 30, 34, 38]);
    expect(fvpTaskIndices(5, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(fvpTaskIndices(3, 0.01)).toEqual([1]);
  });

  it('rejects a fraction outside (0, 1] and a bad task count', () => {
    for (const f of [0, -0.5, 1.5, NaN]) expect(() => fvpTaskIndices(4, f)).toThrow(/fraction must be in \(0, 1\]/);
    expect(() => fvpTaskIndices(0, 0.5)).toThrow(/n must be a positive integer, got 0/);
  });
});

describe('trpo.fvpSubsample', () => {
  it('is checked by the config, naming the field', () => {
    for (const v of [0, 1.5, -1]) {
      const err = (() => {
        try {
          resolveConfig('Navigation2D-v0', 'tiny', { trpo: { fvpSubsample: v } });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect(String((err as Error).message)).toBe(`trpo.fvpSubsample: must be in (0, 1] (got ${v})`);
    }
    expect(resolveConfig('Navigation2D-v0', 'tiny').trpo.fvpSubsample).toBe(1);
  });

  /** The agent's Fisher-vector product on `probe` at iteration 0, and the shard's per-task rows there. */
  async function agentAndRows(cfg: TrainConfig, workers: number) {
    const makeEnv = () => make(cfg.env);
    const root = createRng(cfg.seed);
    const params = MamlTrpo.initParams(cfg, makeEnv, root);
    const dim = flattenValues(params).length;
    const probe = Float64Array.from({ length: dim }, (_, i) => Math.sin(1 + 0.37 * i));
    state.probe = probe;
    const agent = new MamlTrpo(cfg, makeEnv, params, { workers });
    agent.rootRng = root;
    try {
      await agent.step(makeEnv(), 0);
    } finally {
      await agent.close();
      state.probe = null;
    }
    const fv = state.fv!;
    const x0 = state.x0!;

    // The same tasks and episodes (streams keyed by iteration and task index) in one shard, every task.
    const n = cfg.sampling.metaBatchSize;
    const tasks = makeEnv().sampleTasks(n, root.fork('tasks', 0));
    const shard = new MamlShard(cfg, makeEnv);
    shard.collect({ iteration: 0, rootKey: root.key, params, tasks: tasks.map((task, index) => ({ index, task })) });
    const norm = Math.sqrt(probe.reduce((s, a) => s + a * a, 0));
    const eps = cfg.trpo.fdShift / norm;
    const fvp = cfg.trpo.fvp;
    const rows = fvp === 'finite-difference' ? shard.fvpFiniteDifference(x0.map((a, i) => a + eps * probe[i]!), eps, x0) : shard.fvpExact(x0, probe, undefined, fvp);
    // The third-derivative product at the same point, for comparing the chain-rule one with it.
    const exactRows = fvp === 'chain' ? shard.fvpExact(x0, probe) : null;
    shard.release();
    /** mean over `which` of the per-task products, plus the damping term, as the agent sums them. */
    const meanOver = (which: number[]) => {
      const out = new Float64Array(dim);
      for (const t of which) for (let i = 0; i < dim; i++) out[i] += rows[t * dim + i]! / which.length;
      for (let i = 0; i < dim; i++) out[i] += cfg.trpo.cgDamping * probe[i]!;
      return out;
    };
    return { fv, meanOver, rows, exactRows };
  }

  it.each(['finite-difference', 'exact', 'chain'])('averages the %s Fisher-vector product over the chosen tasks only, with 1 and 2 workers', async (fvp) => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { trpo: { fvpSubsample: 0.5, fvp } });
    expect(cfg.sampling.metaBatchSize).toBe(4);
    const one = await agentAndRows(cfg, 1);
    const expected = one.meanOver([1, 3]);
    const all = one.meanOver([0, 1, 2, 3]);
    const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    const scale = Math.max(...Array.from(expected, Math.abs));
    // The subset's product is not the full batch's, so the comparison below can tell them apart.
    expect(maxDiff(expected, all)).toBeGreaterThan(1e-3 * scale);
    expect(maxDiff(one.fv, expected)).toBeLessThanOrEqual(1e-12 * scale);

    // Two workers: blocks [0, 2) and [2, 4), one chosen task in each; the product is bit-identical.
    const two = await agentAndRows(cfg, 2);
    expect(Array.from(two.fv)).toEqual(Array.from(one.fv));
  }, 60_000);

  it('with trpo.fvp "chain", the per-task products equal the third-derivative ones', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny', { trpo: { fvp: 'chain' } });
    const { rows, exactRows } = await agentAndRows(cfg, 1);
    expect(exactRows!.some((x) => x !== 0)).toBe(true);
    expect(relErr(rows, exactRows!)).toBeLessThan(1e-4);
  }, 60_000);

  it('with the default (1) uses every task', async () => {
    const cfg = resolveConfig('Navigation2D-v0', 'tiny');
    const { fv, meanOver } = await agentAndRows(cfg, 1);
    const expected = meanOver([0, 1, 2, 3]);
    const scale = Math.max(...Array.from(expected, Math.abs));
    expect(fv.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i]!)), 0)).toBeLessThanOrEqual(1e-12 * scale);
  }, 60_000);
});
