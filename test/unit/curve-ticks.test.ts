import { expect, it } from 'vitest';
import { parseProgress, renderCurves } from '../../demo/curves.ts';
import { runKind } from '../../demo/page-text.ts';
import { niceTicks as ticks } from '../../src/line-chart.ts';

it('axis ticks (figures and the demo alike) are nice round numbers covering the range, printed without float noise', () => {
  expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(ticks(-0.35, 0.05).map(String)).toEqual(['-0.3', '-0.2', '-0.1', '0']);
  expect(ticks(-47, -3)).toEqual([-40, -30, -20, -10]);
  expect(ticks(1, 2, 8).map(String)).toEqual(['1', '1.2', '1.4', '1.6', '1.8', '2']);
  expect(ticks(3, 3)).toEqual([3]);
  // Ranges across zero with fractional steps: the zero tick is 0, not the running sum's 5.55e-17.
  expect(ticks(-0.7, 0.25).map(String)).toEqual(['-0.6', '-0.4', '-0.2', '0', '0.2']);
  expect(ticks(-0.03, 0.011).map(String)).toEqual(['-0.03', '-0.02', '-0.01', '0', '0.01']);
  expect(ticks(-1.1, 1.4).map(String)).toEqual(['-1', '-0.5', '0', '0.5', '1']);
  expect(ticks(-0.5, 0.5, 3).map(String)).toEqual(['-0.5', '-0.25', '0', '0.25', '0.5']);
});

/** A stand-in for the few DOM calls renderCurves makes: elements with attributes and text. */
class FakeElement {
  attrs: Record<string, string> = {};
  children: FakeElement[] = [];
  textContent = '';
  constructor(readonly tag: string) {}
  setAttribute(k: string, v: string) {
    this.attrs[k] = v;
  }
  replaceChildren() {
    this.children = [];
  }
  appendChild(c: FakeElement) {
    this.children.push(c);
  }
}

/** Runs `fn` with a `document` whose createElementNS makes {@link FakeElement}s. */
function withFakeDocument(fn: () => void): void {
  const g = globalThis as { document?: unknown };
  const saved = g.document;
  g.document = { createElementNS: (_: string, tag: string) => new FakeElement(tag) };
  try {
    fn();
  } finally {
    g.document = saved;
  }
}

const MAML = runKind({ algo: 'maml-trpo', adaptation: { numInnerSteps: 1 } } as Parameters<typeof runKind>[0], false);
const texts = (svg: FakeElement) => svg.children.filter((c) => c.tag === 'text').map((c) => c.textContent);

it("the demo's training curve leaves out a diverged iteration (null in progress.jsonl): a gap, no NaN", () => {
  withFakeDocument(() => {
    const svg = new FakeElement('svg');
    const text = ['{"iteration":0,"returnsBefore":-40,"returnsAfter":-20}', '{"iteration":1,"returnsBefore":null,"returnsAfter":null}', '{"iteration":2,"returnsBefore":-38,"returnsAfter":-12}'].join('\n');
    renderCurves(svg as unknown as SVGSVGElement, parseProgress(text), MAML);
    const paths = svg.children.filter((c) => c.tag === 'path').map((c) => c.attrs.d!);
    expect(paths).toHaveLength(2);
    for (const d of paths) {
      expect(d).not.toContain('NaN');
      expect(d.match(/M/g)).toHaveLength(2); // the line starts again after the gap
    }
    expect(texts(svg)).not.toContain('NaN');
    expect(texts(svg)).toEqual(expect.arrayContaining(['mean return', 'before adaptation', 'after 1 gradient step']));
  });
});

it("the demo's training curve of a one-iteration run shows the iteration as a dot, inside the plot", () => {
  withFakeDocument(() => {
    const svg = new FakeElement('svg');
    renderCurves(svg as unknown as SVGSVGElement, parseProgress('{"iteration":0,"returnsBefore":-40,"returnsAfter":-20}'), MAML);
    const dots = svg.children.filter((c) => c.tag === 'circle');
    expect(dots.map((c) => c.attrs['data-series'])).toEqual(['returnsBefore', 'returnsAfter']);
    for (const c of dots) {
      const [x, y] = [Number(c.attrs.cx), Number(c.attrs.cy)];
      // The plot area of the 640×300 box (margins 56/16 left/right, 16/40 top/bottom); centred in x.
      expect(x).toBeCloseTo((56 + 640 - 16) / 2, 0);
      expect(y).toBeGreaterThanOrEqual(16);
      expect(y).toBeLessThanOrEqual(300 - 40);
    }
    // The x axis (its labels 16 px below the plot, at y = 300 − 40 + 16) has the iteration's tick, 1, and no other.
    expect(svg.children.filter((c) => c.tag === 'text' && c.attrs.y === '276').map((c) => c.textContent)).toEqual(['1']);
  });
});

it("the demo's curves of a pretrained run are one line, and a supervised run's are labelled minus the query loss", () => {
  withFakeDocument(() => {
    const svg = new FakeElement('svg');
    const text = ['{"iteration":0,"returnsBefore":-30,"returnsAfter":-30}', '{"iteration":1,"returnsBefore":-25,"returnsAfter":-25}'].join('\n');
    renderCurves(svg as unknown as SVGSVGElement, parseProgress(text), runKind({ algo: 'pretrained', adaptation: { numInnerSteps: 1 } } as Parameters<typeof runKind>[0], false));
    expect(svg.children.filter((c) => c.tag === 'path').map((c) => c.attrs['data-series'])).toEqual(['returnsAfter']);
    expect(texts(svg)).toContain('mean return, no adaptation in training (pretrained)');
    expect(texts(svg)).not.toContain('after 1 gradient step');
    renderCurves(svg as unknown as SVGSVGElement, parseProgress(text), runKind({ algo: 'maml', adaptation: { numInnerSteps: 5 } } as Parameters<typeof runKind>[0], true));
    expect(texts(svg)).toEqual(expect.arrayContaining(['minus the query loss', 'before adaptation', 'after adaptation']));
    expect(texts(svg)).not.toContain('mean return');
  });
});
