import type { Task } from '../../src/types.ts';
import { trajectory, type AdaptationStep } from '../adaptation.ts';
import { STEP_COLORS, type EnvView } from './types.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Half-width of the drawn square in world units; the task box is [−0.5, 0.5]². */
export const NAV_EXTENT = 0.75;
const TASK_HALF = 0.5;
const SIZE = 600;

const px = (x: number) => ((x + NAV_EXTENT) / (2 * NAV_EXTENT)) * SIZE;
const py = (y: number) => ((NAV_EXTENT - y) / (2 * NAV_EXTENT)) * SIZE;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

/** Navigation2D-v0: click to place the goal; every episode drawn as a path from the origin. */
export class NavigationView implements EnvView {
  readonly prompt = 'Click inside the dashed square to place a goal.';
  readonly legend = "Thin lines: the sampled episodes; thick line: where the policy's mean action leads.";
  private svg!: SVGSVGElement;
  private layer!: SVGGElement;

  mount(container: HTMLElement, onTask: (task: Task) => void): void {
    this.svg = el('svg', { id: 'nav-svg', viewBox: `0 0 ${SIZE} ${SIZE}`, 'data-extent': NAV_EXTENT, role: 'img', 'aria-label': '2D navigation playground' });
    this.svg.classList.add('nav');
    el('rect', { x: 0, y: 0, width: SIZE, height: SIZE, fill: '#fbfbfd' }, this.svg);
    for (let v = -0.75; v <= 0.75 + 1e-9; v += 0.25) {
      const major = Math.abs(v) < 1e-9;
      el('line', { x1: px(v), y1: 0, x2: px(v), y2: SIZE, stroke: major ? '#c8c8d0' : '#ececf1', 'stroke-width': 1 }, this.svg);
      el('line', { x1: 0, y1: py(v), x2: SIZE, y2: py(v), stroke: major ? '#c8c8d0' : '#ececf1', 'stroke-width': 1 }, this.svg);
    }
    el('rect', { x: px(-TASK_HALF), y: py(TASK_HALF), width: px(TASK_HALF) - px(-TASK_HALF), height: py(-TASK_HALF) - py(TASK_HALF), fill: 'none', stroke: '#9a9aa8', 'stroke-dasharray': '6 5' }, this.svg);
    const label = el('text', { x: px(-TASK_HALF) + 4, y: py(TASK_HALF) - 6, fill: '#9a9aa8', 'font-size': 12 }, this.svg);
    label.textContent = 'task distribution: goal ~ U[−0.5, 0.5]²';
    this.layer = el('g', {}, this.svg);
    el('circle', { cx: px(0), cy: py(0), r: 5, fill: '#222' }, this.svg);
    container.appendChild(this.svg);

    this.svg.addEventListener('click', (ev) => {
      const r = this.svg.getBoundingClientRect();
      const x = ((ev.clientX - r.left) / r.width) * 2 * NAV_EXTENT - NAV_EXTENT;
      const y = NAV_EXTENT - ((ev.clientY - r.top) / r.height) * 2 * NAV_EXTENT;
      // Goals outside the training distribution are clamped into it.
      const clamp = (v: number) => Math.round(Math.min(TASK_HALF, Math.max(-TASK_HALF, v)) * 1000) / 1000;
      onTask({ goal: [clamp(x), clamp(y)] });
    });
  }

  describeTask(task: Task): string {
    const [x, y] = task.goal as [number, number];
    // The goal as set (clicks are rounded to 3 decimals), so that a task file can name it exactly.
    return `goal (${x.toFixed(3)}, ${y.toFixed(3)})`;
  }

  render(task: Task | null, steps: readonly AdaptationStep[]): void {
    this.layer.replaceChildren();
    const last = steps.length - 1;
    const points = (path: readonly Float32Array[]) => path.map((o) => `${px(o[0]!).toFixed(1)},${py(o[1]!).toFixed(1)}`).join(' ');
    steps.forEach((s, i) => {
      const color = STEP_COLORS[s.step % STEP_COLORS.length]!;
      const g = el('g', { 'data-step': s.step, opacity: i === last ? 1 : 0.45 }, this.layer);
      // The sampled episodes (σ is large next to the 0.1 action bound, so they look like clouds)…
      for (let b = 0; b < s.episodes.B; b++) {
        el('polyline', { points: points(trajectory(s.episodes, b)), fill: 'none', stroke: color, 'stroke-opacity': 0.28, 'stroke-width': 1, 'stroke-linejoin': 'round' }, g);
      }
    });
    // …and, on top, where the mean action leads: the policy's intent before and after each step.
    steps.forEach((s, i) => {
      const color = STEP_COLORS[s.step % STEP_COLORS.length]!;
      const g = el('g', { 'data-mean-step': s.step, opacity: i === last ? 1 : 0.7 }, this.layer);
      el('polyline', { points: points(s.meanPath), fill: 'none', stroke: '#fff', 'stroke-width': 5.5, 'stroke-linejoin': 'round', 'stroke-linecap': 'round' }, g);
      el('polyline', { points: points(s.meanPath), fill: 'none', stroke: color, 'stroke-width': 3, 'stroke-linejoin': 'round', 'stroke-linecap': 'round' }, g);
      const end = s.meanPath[s.meanPath.length - 1]!;
      el('circle', { cx: px(end[0]!), cy: py(end[1]!), r: 4.5, fill: color, stroke: '#fff', 'stroke-width': 1.5 }, g);
    });
    if (task) {
      const [gx, gy] = task.goal as [number, number];
      const g = el('g', { id: 'nav-goal', 'data-goal': `${gx},${gy}` }, this.layer);
      el('circle', { cx: px(gx), cy: py(gy), r: 10, fill: 'none', stroke: '#111', 'stroke-width': 2 }, g);
      el('circle', { cx: px(gx), cy: py(gy), r: 3, fill: '#111' }, g);
    }
  }
}
