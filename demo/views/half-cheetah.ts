/**
 * HalfCheetahVel-v0 / HalfCheetahDir-v0 in the page: a target-velocity slider (0–2 m/s, the task
 * distribution) or a direction toggle (±1), a button that has the page sample the meta-trained
 * policy and take one adaptation step (demo/main.ts → AdaptationSession, the library's
 * sampleEpisodes / estimateAdvantages / pgData / adaptValues), and two canvases animating one
 * episode of the policy before and after adapting, from the env's `renderState()` each control step.
 *
 * The animated episodes act with the mean action μ_θ(s) from the env reset with seed 0: the episode
 * whose observations `AdaptationStep.meanPath` holds, replayed here to record the body poses.
 */
import type { MetaEnv, Task } from '../../src/types.ts';
import type { GaussianMlpPolicy, ParamValues } from '../../src/policy.ts';
import type { HalfCheetahRenderState } from '../../envs/half-cheetah-physics.ts';
import { CONTROL_DT, HalfCheetahEnv } from '../../envs/half-cheetah.ts';
import { make } from '../../envs/index.ts';
import type { AdaptationStep } from '../adaptation.ts';
import { STEP_COLORS, type EnvView, type ViewContext } from './types.ts';

/** Which task family the view edits. */
export type CheetahTaskKind = 'velocity' | 'direction';

/**
 * Most episodes per step the page starts with for the cheetah: the `cheetah` preset's fastBatchSize,
 * so the page adapts as meta-training did. 20 episodes of 100 control steps take about 0.3 s per step
 * in Chromium on the wasm backend; runs with larger batches start at 20 (the field goes up to 200).
 */
export const CHEETAH_DEFAULT_EPISODES = 20;

/** One mean-action episode of the cheetah, pose by pose. */
export interface CheetahRollout {
  /** Body poses: after the reset, then after every control step (`steps + 1` frames). */
  frames: HalfCheetahRenderState[];
  /** Observations the policy saw, as `frames` (equal to `AdaptationStep.meanPath` for the same params). */
  obs: Float32Array[];
  /** Reward and forward velocity (m/s) of each control step. */
  rewards: number[];
  velocities: number[];
  episodeReturn: number;
}

/**
 * Runs one episode on `task` acting with the mean action μ_θ(s), from `reset({ seed })`, and
 * records the cheetah's pose after every control step. `makeEnv` is the page's env factory; when
 * its env cannot draw itself (the oracle's TaskObservationWrapper) a plain `make(envId)` twin is
 * stepped with the same seed and actions, which gives the same motion.
 */
export function rolloutCheetah(policy: GaussianMlpPolicy, params: ParamValues, makeEnv: () => MetaEnv, envId: string, task: Task, seed = 0): CheetahRollout {
  const env = makeEnv();
  const twin = env instanceof HalfCheetahEnv ? null : make(envId);
  const body = (twin ?? env) as MetaEnv;
  if (!(body instanceof HalfCheetahEnv)) throw new TypeError(`${envId} is not a half-cheetah env`);
  env.setTask(task);
  twin?.setTask(task);
  let obs = env.reset({ seed }).obs;
  twin?.reset({ seed });
  const out: CheetahRollout = { frames: [body.renderState()], obs: [obs], rewards: [], velocities: [], episodeReturn: 0 };
  for (let t = 0; t < env.maxEpisodeSteps; t++) {
    const action = policy.meanJs(params, obs, 1);
    const r = env.step(action);
    twin?.step(action);
    obs = r.obs;
    out.obs.push(obs);
    out.frames.push(body.renderState());
    out.rewards.push(r.reward);
    out.velocities.push(body.lastForwardVelocity);
    out.episodeReturn += r.reward;
    if (r.terminated || r.truncated) break;
  }
  return out;
}

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits).replace('-', '−');
}

const torsoX = (f: HalfCheetahRenderState) => (f.bodies.find((b) => b.name === 'torso') ?? f.bodies[0]!).x;

const CSS = `
#view .cheetah { width: 520px; }
#view .cheetah .cheetah-controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 0 0 8px; }
#view .cheetah input[type=range] { width: 180px; vertical-align: middle; }
#view .cheetah output { display: inline-block; min-width: 62px; font-variant-numeric: tabular-nums; }
#view .cheetah fieldset { border: 0; padding: 0; margin: 0; display: inline-flex; gap: 10px; }
#view .cheetah figure { margin: 0 0 10px; }
#view .cheetah figcaption { font-size: 14px; margin: 0 0 3px; display: flex; justify-content: space-between; gap: 8px; }
#view .cheetah figcaption .ret { font-variant-numeric: tabular-nums; font-weight: 600; }
#view .cheetah canvas { width: 520px; height: 200px; border: 1px solid #ddd; display: block; background: #fbfbfd; }
`;

const W = 520;
const H = 200;
/** Pixels per metre. */
const PX = 125;
/** Canvas row of the ground line. */
const GROUND_Y = H - 44;
/** A faded pose is left behind every this many frames (1 s). */
const GHOST_EVERY = 20;

interface Panel {
  figure: HTMLElement;
  title: HTMLElement;
  ret: HTMLElement;
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  color: string;
  rollout: CheetahRollout | null;
}

/** The half-cheetah playground: pick a task, adapt, watch the policy before and after. */
export class HalfCheetahView implements EnvView {
  readonly prompt: string;
  readonly legend =
    'The animations replay one episode (5 s) of each policy acting with its mean action, from the same start; the camera follows the torso, ' +
    'ticks every 0.5 m. The returns above them are those episodes’; the table’s are the means over the sampled episodes.';
  readonly maxDefaultEpisodes = CHEETAH_DEFAULT_EPISODES;
  private ctx!: ViewContext;
  private readonly rollouts = new WeakMap<AdaptationStep, CheetahRollout>();
  private panels: Panel[] = [];
  private replayButton!: HTMLButtonElement;
  private task: Task | null = null;
  private raf = 0;

  constructor(readonly kind: CheetahTaskKind) {
    this.prompt =
      kind === 'velocity'
        ? 'Pick a target velocity (0–2 m/s, the training range) and press the button: the page runs the meta-trained policy, adapts it with one gradient step and animates both.'
        : 'Pick a direction and press the button: the page runs the meta-trained policy, adapts it with one gradient step and animates both.';
  }

  mount(container: HTMLElement, onTask: (task: Task) => void, ctx: ViewContext): void {
    this.ctx = ctx;
    const style = document.createElement('style');
    style.textContent = CSS;
    document.head.appendChild(style);

    const root = document.createElement('div');
    root.className = 'cheetah';
    root.id = 'cheetah';
    const controls = document.createElement('div');
    controls.className = 'cheetah-controls';
    let readTask: () => Task;
    if (this.kind === 'velocity') {
      controls.innerHTML =
        '<label>target velocity <input id="cheetah-velocity" type="range" min="0" max="2" step="0.05" value="1" /></label>' +
        '<output id="cheetah-velocity-value" for="cheetah-velocity"></output>';
      const input = controls.querySelector<HTMLInputElement>('#cheetah-velocity')!;
      const out = controls.querySelector<HTMLOutputElement>('output')!;
      const show = () => (out.textContent = `${Number(input.value).toFixed(2)} m/s`);
      input.addEventListener('input', show);
      show();
      readTask = () => ({ velocity: Math.min(2, Math.max(0, Number(input.value))) });
    } else {
      controls.innerHTML =
        '<fieldset><legend class="muted small">direction</legend>' +
        '<label><input type="radio" name="cheetah-direction" id="cheetah-direction-forward" value="1" checked /> forward (+1)</label>' +
        '<label><input type="radio" name="cheetah-direction" id="cheetah-direction-backward" value="-1" /> backward (−1)</label></fieldset>';
      readTask = () => ({ direction: controls.querySelector<HTMLInputElement>('#cheetah-direction-backward')!.checked ? -1 : 1 });
    }
    const adapt = document.createElement('button');
    adapt.type = 'button';
    adapt.id = 'cheetah-adapt';
    adapt.textContent = 'Run before & after one adaptation step';
    adapt.addEventListener('click', () => onTask(readTask()));
    this.replayButton = document.createElement('button');
    this.replayButton.type = 'button';
    this.replayButton.id = 'cheetah-replay';
    this.replayButton.textContent = 'Replay';
    this.replayButton.disabled = true;
    this.replayButton.addEventListener('click', () => this.play());
    controls.append(adapt, this.replayButton);
    root.appendChild(controls);

    this.panels = (['before', 'after'] as const).map((which, i) => {
      const figure = document.createElement('figure');
      figure.id = `cheetah-${which}`;
      figure.dataset.state = 'empty';
      figure.innerHTML = `<figcaption><span><span class="swatch"></span><span class="title"></span></span><span class="ret" id="cheetah-return-${which}"></span></figcaption>`;
      const canvas = document.createElement('canvas');
      const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
      canvas.width = W * dpr;
      canvas.height = H * dpr;
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `half-cheetah ${which} adaptation`);
      figure.appendChild(canvas);
      root.appendChild(figure);
      const c2d = canvas.getContext('2d')!;
      c2d.scale(dpr, dpr);
      return {
        figure,
        title: figure.querySelector<HTMLElement>('.title')!,
        ret: figure.querySelector<HTMLElement>('.ret')!,
        canvas,
        ctx: c2d,
        color: STEP_COLORS[i]!,
        rollout: null,
      };
    });
    container.appendChild(root);
  }

  describeTask(task: Task): string {
    if (this.kind === 'velocity') return `target velocity ${(task.velocity as number).toFixed(2)} m/s`;
    return task.direction === 1 ? 'direction +1 (forward)' : 'direction −1 (backward)';
  }

  render(task: Task | null, steps: readonly AdaptationStep[]): void {
    this.task = task;
    const [before, after] = this.panels as [Panel, Panel];
    const last = steps.length > 1 ? steps[steps.length - 1]! : null;
    before.title.textContent = 'before adaptation (meta-trained policy)';
    after.title.textContent = last
      ? `after ${last.step} gradient step${last.step === 1 ? '' : 's'} (${last.step === 1 ? 'α' : 'α, then α/2'})`
      : 'after one adaptation step';
    after.color = STEP_COLORS[(last?.step ?? 1) % STEP_COLORS.length]!;
    before.rollout = task && steps[0] ? this.rolloutOf(task, steps[0]) : null;
    after.rollout = task && last ? this.rolloutOf(task, last) : null;
    for (const p of this.panels) {
      (p.figure.querySelector('.swatch') as HTMLElement).style.background = p.color;
      if (p.rollout) {
        p.ret.dataset.value = String(p.rollout.episodeReturn);
        p.ret.textContent = `return ${fmt(p.rollout.episodeReturn)}`;
      } else {
        delete p.ret.dataset.value;
        p.ret.textContent = task ? 'adapting…' : '';
      }
    }
    this.replayButton.disabled = !before.rollout;
    this.play();
  }

  private rolloutOf(task: Task, step: AdaptationStep): CheetahRollout {
    let r = this.rollouts.get(step);
    if (!r) {
      r = rolloutCheetah(this.ctx.policy, step.params, this.ctx.makeEnv, this.ctx.envId, task);
      this.rollouts.set(step, r);
    }
    return r;
  }

  /** Plays the episodes from the start, in real time (one frame per control step), and holds the last frame. */
  private play(): void {
    cancelAnimationFrame(this.raf);
    const start = performance.now();
    const length = Math.max(0, ...this.panels.map((p) => p.rollout?.frames.length ?? 0));
    for (const p of this.panels) {
      p.figure.dataset.state = p.rollout ? 'playing' : 'empty';
      p.figure.dataset.frames = String(p.rollout?.frames.length ?? 0);
    }
    const tick = () => {
      const k = Math.min(length - 1, Math.floor((performance.now() - start) / (CONTROL_DT * 1000)));
      for (const p of this.panels) this.draw(p, k);
      if (k < length - 1) {
        this.raf = requestAnimationFrame(tick);
      } else {
        for (const p of this.panels) if (p.rollout) p.figure.dataset.state = 'done';
      }
    };
    tick();
  }

  private draw(p: Panel, k: number): void {
    const g = p.ctx;
    g.clearRect(0, 0, W, H);
    g.fillStyle = '#fbfbfd';
    g.fillRect(0, 0, W, H);
    const r = p.rollout;
    if (!r || !this.task) {
      g.fillStyle = '#9a9aa8';
      g.font = '13px system-ui, sans-serif';
      g.textAlign = 'center';
      g.fillText(this.task ? 'adapting…' : 'press the button to run the policy', W / 2, H / 2);
      g.textAlign = 'left';
      return;
    }
    const i = Math.min(k, r.frames.length - 1);
    const f = r.frames[i]!;
    const cam = torsoX(f);
    const x0 = torsoX(r.frames[0]!);
    const groundZ = f.groundZ;
    const X = (x: number) => W / 2 + (x - cam) * PX;
    const Y = (z: number) => GROUND_Y - (z - groundZ) * PX;

    // Ground, with a tick every 0.5 m and the distance from the start every metre.
    g.fillStyle = '#ece7dc';
    g.fillRect(0, GROUND_Y, W, H - GROUND_Y);
    g.strokeStyle = '#8a8578';
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(0, GROUND_Y + 0.5);
    g.lineTo(W, GROUND_Y + 0.5);
    g.stroke();
    g.font = '11px system-ui, sans-serif';
    g.textAlign = 'center';
    g.fillStyle = '#6b675e';
    const half = W / 2 / PX;
    for (let m = Math.floor((cam - half - x0) * 2) / 2; m <= cam + half - x0; m += 0.5) {
      const sx = Math.round(X(x0 + m)) + 0.5;
      const major = Math.abs(m - Math.round(m)) < 1e-6;
      g.beginPath();
      g.moveTo(sx, GROUND_Y);
      g.lineTo(sx, GROUND_Y + (major ? 10 : 5));
      g.stroke();
      if (major) g.fillText(`${fmt(Math.round(m), 0)} m`, sx, GROUND_Y + 22);
    }

    // Where a cheetah running exactly at the target velocity would be now.
    const task = this.task;
    if (typeof task.velocity === 'number') {
      const target = x0 + task.velocity * i * CONTROL_DT;
      const sx = X(target);
      g.strokeStyle = '#2e8b57';
      g.fillStyle = '#2e8b57';
      if (sx >= 40 && sx <= W - 40) {
        g.setLineDash([5, 4]);
        g.beginPath();
        g.moveTo(sx, 24);
        g.lineTo(sx, GROUND_Y);
        g.stroke();
        g.setLineDash([]);
        g.fillText(`target pace ${task.velocity.toFixed(2)} m/s`, sx, 16);
      } else {
        // Off screen: say how far ahead or behind the target pace is.
        const d = target - cam;
        g.textAlign = d > 0 ? 'right' : 'left';
        g.fillText(`${d > 0 ? '' : '← '}target pace ${task.velocity.toFixed(2)} m/s is ${fmt(Math.abs(d), 1)} m ${d > 0 ? 'ahead →' : 'behind'}`, d > 0 ? W - 8 : 8, 16);
        g.textAlign = 'center';
      }
    } else if (task.direction === 1 || task.direction === -1) {
      const d = task.direction;
      const ax = W / 2 + d * 150;
      g.strokeStyle = '#2e8b57';
      g.fillStyle = '#2e8b57';
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(ax - d * 40, 26);
      g.lineTo(ax, 26);
      g.stroke();
      g.beginPath();
      g.moveTo(ax + d * 8, 26);
      g.lineTo(ax - d * 2, 20);
      g.lineTo(ax - d * 2, 32);
      g.fill();
      g.fillText(d === 1 ? 'run forward' : 'run backward', ax - d * 20, 44);
      g.lineWidth = 1;
    }

    // Poses left behind once a second, then the current one.
    for (let j = 0; j < i; j += GHOST_EVERY) this.drawPose(g, r.frames[j]!, X, Y, p.color, 0.14, false);
    this.drawPose(g, f, X, Y, p.color, 1, true);

    // Time, distance, speed over the last 0.5 s and the return so far.
    const recent = r.velocities.slice(Math.max(0, i - 10), i);
    const v = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 0;
    const soFar = r.rewards.slice(0, i).reduce((a, b) => a + b, 0);
    g.textAlign = 'left';
    g.fillStyle = '#1d1d24';
    g.font = '12px system-ui, sans-serif';
    g.fillText(`t ${fmt(i * CONTROL_DT)} s   x ${fmt(torsoX(f) - x0)} m   v ${fmt(v)} m/s`, 8, H - 6);
    g.textAlign = 'right';
    g.fillText(`return so far ${fmt(soFar, 1)}`, W - 8, H - 6);
    g.textAlign = 'left';
  }

  private drawPose(g: CanvasRenderingContext2D, f: HalfCheetahRenderState, X: (x: number) => number, Y: (z: number) => number, color: string, alpha: number, outline: boolean): void {
    g.save();
    g.globalAlpha = alpha;
    g.lineCap = 'round';
    for (const pass of outline ? [0, 1] : [1]) {
      for (const c of f.capsules) {
        g.strokeStyle = pass === 0 ? '#1d1d24' : color;
        g.lineWidth = 2 * c.radius * PX + (pass === 0 ? 2 : 0);
        g.beginPath();
        g.moveTo(X(c.x1), Y(c.z1));
        g.lineTo(X(c.x2), Y(c.z2));
        g.stroke();
      }
    }
    g.restore();
  }
}
