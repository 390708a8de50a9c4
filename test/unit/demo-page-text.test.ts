/**
 * What the demo page says and offers for a run (demo/page-text.ts): its URL parameters, what its
 * training runs, whether its playground adapts, and how learned step sizes are shown.
 */
import { describe, expect, it } from 'vitest';
import { pageSettings, runKind, stepSizeText } from '../../demo/page-text.ts';

type Cfg = Parameters<typeof runKind>[0];
const cfg = (algo: string, numInnerSteps = 1) => ({ algo, adaptation: { numInnerSteps } }) as Cfg;

describe('demo page text', () => {
  it('reads ?seed= and ?backend=, and names the URL parameter of a value it cannot take', () => {
    expect(pageSettings('')).toEqual({ seed: 1, backend: 'wasm' });
    expect(pageSettings('?seed=7&backend=cpu')).toEqual({ seed: 7, backend: 'cpu' });
    expect(pageSettings('?seed=0')).toEqual({ seed: 0, backend: 'wasm' });
    expect(() => pageSettings('?seed=abc')).toThrow('URL parameter seed: "abc" is not an integer ≥ 0 (e.g. ?seed=2)');
    // Negative seeds too (found by a review: createRng refused them, without naming the URL parameter).
    for (const bad of ['-3', '1.5', '', '1e3', '9007199254740993']) expect(() => pageSettings(`?seed=${bad}`)).toThrow(`URL parameter seed: ${JSON.stringify(bad)}`);
    expect(() => pageSettings('?backend=tensorflow')).toThrow('URL parameter backend: "tensorflow" is not one the page can use; use wasm or cpu');
  });

  it('an oracle run is scored without adaptation; pretrained and oracle runs train with TRPO, MAML runs with MAML-TRPO', () => {
    expect(runKind(cfg('maml-trpo'), false)).toMatchObject({ adapts: true, trainer: 'MAML-TRPO', yLabel: 'mean return' });
    expect(runKind(cfg('pretrained'), false)).toMatchObject({ adapts: true, trainer: 'TRPO (pretrained)' });
    expect(runKind(cfg('oracle'), false)).toMatchObject({ adapts: false, trainer: 'TRPO (oracle)' });
    expect(runKind(cfg('maml-trpo', 2), false).series.map((s) => s.label)).toEqual(['before adaptation', 'after 2 gradient steps']);
    expect(runKind(cfg('oracle'), false).series.map((s) => s.key)).toEqual(['returnsAfter']);
    expect(runKind(cfg('maml', 5), true)).toMatchObject({ yLabel: 'minus the query loss', series: [{ label: 'before adaptation' }, { label: 'after adaptation' }] });
  });

  it('shows α alone, or with the spread of the learned multipliers s', () => {
    expect(stepSizeText(0.1, null)).toBe('α = 0.1');
    const s = [Float32Array.from([1, 3]), Float32Array.from([0.5, 2, 10])];
    expect(stepSizeText(0.1, s)).toBe('α = 0.1 × learned multipliers s (median 2, from 0.5 to 10; the step of each parameter is α·s)');
    expect(stepSizeText(0.05, [Float32Array.from([1, 2, 3, 4])])).toContain('median 2.5, from 1 to 4');
  });
});
