import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectUserError, metarl, metarlHere } from '../helpers/cli.ts';
import { inspectCheckpoint, policyTensorNames, tensorStats } from '../../agents/inspect.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/checkpoint.ts';
import { resolveConfig } from '../../src/config.ts';
import { GaussianMlpPolicy } from '../../src/policy.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'metarl-inspect-'));

/** A navigation checkpoint (2 → 3 → 2 tanh policy) with learned step sizes, every value chosen by hand. */
function learnedLrRun(): string {
  const config = resolveConfig('Navigation2D-v0', 'tiny', { policy: { hiddenSizes: [3] }, adaptation: { learnedLr: true } });
  const policy = new GaussianMlpPolicy(2, 2, config.policy);
  expect(policy.shapes).toEqual([[2, 3], [3], [3, 2], [2], [2]]);
  const theta = [
    Float32Array.of(1, 2, 3, 4, 5, 6),
    Float32Array.of(0, 0, 0),
    Float32Array.of(-1, 1, -1, 1, -1, 1),
    Float32Array.of(0.5, -0.5),
    Float32Array.of(-0.5, -1.5),
  ];
  const s = [
    Float32Array.of(1, 1, 1, 1, 1, 1),
    Float32Array.of(1, 1.05, 0.95),
    Float32Array.of(1, 1, 1, 1, 1.5, 1),
    Float32Array.of(0.5, -0.25),
    Float32Array.of(1, 1),
  ];
  const run = join(tmp(), 'run');
  const shapes = [...policy.shapes, ...policy.shapes];
  saveCheckpoint(run, { iteration: 7, config, obsDim: 2, actDim: 2, shapes, rng: { seed: 1, nextIteration: 7 }, versions: {} }, [...theta, ...s]);
  return run;
}

describe('metarl inspect', () => {
  it('computes a tensor\'s statistics by hand', () => {
    const t = tensorStats([1, 2, 3, 4]);
    expect(t.size).toBe(4);
    expect(t.mean).toBe(2.5);
    expect(t.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect([t.min, t.max]).toEqual([1, 4]);
    expect(t.norm).toBeCloseTo(Math.sqrt(30), 12);
    expect(tensorStats([-2]).std).toBe(0);
  });

  it('names a Gaussian MLP policy\'s tensors from their shapes, and nothing else', () => {
    expect(policyTensorNames([[2, 64], [64], [64, 64], [64], [64, 2], [2], [2]])).toEqual([
      'layer 1 weights', 'layer 1 bias', 'layer 2 weights', 'layer 2 bias', 'output weights', 'output bias', 'log σ',
    ]);
    // A regressor without log-std (sine), and a log-std of the wrong size.
    expect(policyTensorNames([[1, 40], [40], [40, 1], [1]])).toBeNull();
    expect(policyTensorNames([[2, 4], [4], [4, 2], [2], [3]])).toBeNull();
  });

  it('splits θ from the learned multipliers s and counts the moved and negative ones', () => {
    const r = inspectCheckpoint(loadCheckpoint(learnedLrRun()));
    expect(r).toMatchObject({ env: 'Navigation2D-v0', iteration: 7, learnedLr: true });
    expect(r.tensors.map((t) => `${t.part}:${t.name}`)).toEqual([
      'theta:layer 1 weights', 'theta:layer 1 bias', 'theta:output weights', 'theta:output bias', 'theta:log σ',
      's:layer 1 weights', 's:layer 1 bias', 's:output weights', 's:output bias', 's:log σ',
    ]);
    const [w1, , , , logStd, sW1, sB1, sW2, sB2, sLog] = r.tensors;
    expect(w1).toMatchObject({ shape: [2, 3], size: 6, mean: 3.5, min: 1, max: 6 });
    expect(w1!.norm).toBeCloseTo(Math.sqrt(91), 5);
    expect(logStd).toMatchObject({ mean: -1, min: -1.5, max: -0.5, std: 0.5 });
    expect(w1!.outside).toBeUndefined();
    // s: 1.05 and 0.95 stay inside [0.9, 1.1]; 1.5, 0.5 and −0.25 are outside; −0.25 is negative.
    expect([sW1, sB1, sW2, sB2, sLog].map((t) => [t!.outside, t!.negative])).toEqual([[0, 0], [0, 0], [1, 0], [2, 1], [0, 0]]);
    expect(sB2!.mean).toBeCloseTo(0.125, 6);
    expect(sB1!.min).toBeCloseTo(0.95, 6);
  });

  it("a supervised Meta-SGD run's learned rates: the step sizes themselves, moved when outside ±10 % of α", () => {
    const config = resolveConfig('SineRegression-v0', 'sine', { algo: 'meta-sgd', policy: { hiddenSizes: [2] } });
    expect(config.adaptation.fastLr).toBe(0.01);
    const shapes = [[1, 2], [2], [2, 1], [1]];
    const theta = [Float32Array.of(1, -1), Float32Array.of(0, 0), Float32Array.of(0.5, 0.5), Float32Array.of(0)];
    const rates = [Float32Array.of(0.01, 0.0105), Float32Array.of(0.02, -0.001), Float32Array.of(0.0095, 0.01), Float32Array.of(0.005)];
    const run = join(tmp(), 'meta-sgd');
    saveCheckpoint(run, { iteration: 3, config, obsDim: 1, actDim: 1, shapes: [...shapes, ...shapes], rng: { seed: 1, nextIteration: 3 }, versions: {} }, [...theta, ...rates]);
    const r = inspectCheckpoint(loadCheckpoint(run));
    expect(r).toMatchObject({ learnedLr: true, learnedKind: 'rates' });
    expect(r.tensors.map((t) => t.part)).toEqual(['theta', 'theta', 'theta', 'theta', 'rate', 'rate', 'rate', 'rate']);
    // [0.009, 0.011] is inside: 0.02, −0.001 and 0.005 are out; −0.001 is negative.
    expect(r.tensors.slice(4).map((t) => [t.outside, t.negative])).toEqual([[0, 0], [2, 1], [0, 0], [1, 0]]);
    const out = metarl('inspect', '--run', run);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('α = 0.01 (learned rates: the inner step of each entry is its own rate, started at α)');
    expect(out.stdout).toContain('| rates of tensor | entries | mean | std | min | max | outside 0.0090–0.0110 | negative |');
    expect(out.stdout).not.toContain('multipliers');
  });

  it('prints the tables and writes the same numbers as JSON', () => {
    const run = learnedLrRun();
    const out = join(run, 'inspect.json');
    const r = metarl('inspect', '--run', run, '--json', out);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc).toEqual(JSON.parse(JSON.stringify({ run, ...inspectCheckpoint(loadCheckpoint(run)) })));
    expect(r.stdout).toContain('iteration 7');
    expect(r.stdout).toContain('| output bias | 2 | 0.1250 |');
    expect(r.stdout).toMatch(/\| output bias \| 2 \| 0\.1250 \| 0\.3750 \| -0\.2500 \| 0\.5000 \| 2 \| 1 \|/);
  });

  it('has no s table for a plain run', () => {
    const run = join(tmp(), 'plain');
    const t = metarl('train', '--env', 'Navigation2D-v0', '--preset', 'tiny', '--iterations', '1', '--out', run);
    expect(t.code, t.stderr).toBe(0);
    const r = metarl('inspect', '--run', run);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('| log σ | 2 |');
    expect(r.stdout).not.toContain('s of tensor');
    expect(inspectCheckpoint(loadCheckpoint(run)).tensors.every((t) => t.part === 'theta')).toBe(true);
  });

  it('names the field of bad input', async () => {
    expectUserError(await metarlHere('inspect'), '--run', 'required');
    expectUserError(await metarlHere('inspect', '--run', '/nonexistent/run'), '--run', '/nonexistent/run');
    const run = learnedLrRun();
    // A path through a file cannot be written (folders that do not exist yet would be made).
    const through = join(run, 'checkpoint', 'model.json', 'x.json');
    expectUserError(await metarlHere('inspect', '--run', run, '--json', through), '--json', through, 'is a file, not a directory');
    writeFileSync(join(run, 'checkpoint', 'weights.bin'), 'garbage');
    expectUserError(await metarlHere('inspect', '--run', run), 'weights.bin');
  });
});
