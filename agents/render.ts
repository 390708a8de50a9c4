import type { TrainConfig } from '../src/config.ts';
import type { ParamValues } from '../src/policy.ts';
import type { MetaEnv, Task } from '../src/types.ts';
import { GaussianMlpPolicy } from '../src/policy.ts';
import { createRng } from '../src/rng.ts';
import { sampleEpisodes, meanReturn } from '../src/sampler.ts';
import { estimateAdvantages } from '../src/advantages.ts';
import { adaptValues, pgData, splitMeta } from '../src/maml.ts';
import type { HalfCheetahRenderState } from '../envs/half-cheetah-physics.ts';

/** One frame of a rendered episode. */
export type Frame = HalfCheetahRenderState;

/** What {@link rolloutAdapted} returns: frames of one episode of the adapted policy and returns. */
export interface RenderedRollout {
  task: Task;
  steps: number;
  /** Mean return of the adaptation episodes before each gradient step. */
  adaptationReturns: number[];
  /** Return of the rendered (mean-action) episode. */
  episodeReturn: number;
  frames: Frame[];
  /** Control step in seconds (frame interval). */
  dt: number;
}

interface Renderable extends MetaEnv {
  renderState(): HalfCheetahRenderState;
}

/** Whether `env` has a body {@link rolloutAdapted} can draw (the half-cheetah envs). */
export function isRenderable(env: MetaEnv): env is Renderable {
  return typeof (env as Partial<Renderable>).renderState === 'function';
}

/**
 * Adapts a trained policy to `task` with the evaluation protocol (`steps` VPG steps on
 * `episodes` sampled episodes each, α then α/2), then runs one episode with the adapted policy's
 * mean action and records the body state of every control step.
 */
export function rolloutAdapted(config: TrainConfig, params: ParamValues, makeEnv: () => MetaEnv, task: Task, steps: number, episodes: number, seed: number): RenderedRollout {
  const probe = makeEnv();
  if (!isRenderable(probe)) throw new TypeError(`${probe.id} cannot be rendered (no renderState)`);
  const env = probe;
  env.setTask(task);
  const policy = new GaussianMlpPolicy(env.observationSpace.shape[0], env.actionSpace.shape[0], config.policy);
  const rng = createRng(seed).fork('render');
  const envs = Array.from({ length: episodes }, makeEnv);
  const meta = splitMeta(params, policy.shapes.length, config.adaptation.learnedLr);
  let theta = meta.theta;
  const adaptationReturns: number[] = [];
  for (let k = 0; k < steps; k++) {
    const ep = sampleEpisodes(envs, policy, { task, params: theta, numEpisodes: episodes, rng: rng.fork('adapt', k) });
    adaptationReturns.push(meanReturn(ep));
    theta = adaptValues(policy, theta, pgData(ep, estimateAdvantages(ep, { ...config.advantages, regCoeff: config.baseline.regCoeff })), k === 0 ? config.adaptation.fastLr : config.adaptation.fastLr / 2, meta.lrScale);
  }
  let { obs } = env.reset({ seed: rng.fork('episode').seed() });
  const frames: Frame[] = [env.renderState()];
  let ret = 0;
  for (let t = 0; t < env.maxEpisodeSteps; t++) {
    const r = env.step(policy.meanJs(theta, obs, 1));
    ret += r.reward;
    frames.push(env.renderState());
    obs = r.obs;
    if (r.terminated || r.truncated) break;
  }
  return { task, steps, adaptationReturns, episodeReturn: ret, frames, dt: 0.05 };
}

const PX = 160; // pixels per metre

function frameShapes(f: Frame, color: string): string {
  return f.capsules
    .map((c) => `<line x1="${(c.x1 * PX).toFixed(1)}" y1="${(-c.z1 * PX).toFixed(1)}" x2="${(c.x2 * PX).toFixed(1)}" y2="${(-c.z2 * PX).toFixed(1)}" stroke="${color}" stroke-width="${(2 * c.radius * PX).toFixed(1)}" stroke-linecap="round"/>`)
    .join('');
}

/**
 * An animated SVG (SMIL, plays in any browser) of a rollout: the camera follows the torso, the
 * ground is marked every 0.5 m so the motion shows, and the caption gives task and returns.
 */
export function rolloutSvg(r: RenderedRollout, title: string): string {
  const W = 720;
  const H = 300;
  const n = r.frames.length;
  const dur = (n * r.dt).toFixed(2);
  const keyTimes = r.frames.map((_, i) => (i / n).toFixed(4)).join(';');
  const torsoX = r.frames.map((f) => f.bodies.find((b) => b.name === 'torso')?.x ?? f.bodies[0]!.x);
  const minX = Math.min(...torsoX) - 2;
  const maxX = Math.max(...torsoX) + 2;
  const ticks: string[] = [];
  for (let x = Math.floor(minX * 2) / 2; x <= maxX; x += 0.5) {
    ticks.push(`<line x1="${(x * PX).toFixed(1)}" y1="0" x2="${(x * PX).toFixed(1)}" y2="${Math.abs(x - Math.round(x)) < 1e-6 ? 16 : 8}" stroke="#555"/>`);
    if (Math.abs(x - Math.round(x)) < 1e-6) ticks.push(`<text x="${(x * PX).toFixed(1)}" y="30" font-size="12" text-anchor="middle">${Math.round(x)} m</text>`);
  }
  const ground = r.frames[0]!.groundZ;
  const frames = r.frames
    .map((f, i) => {
      const vis = r.frames.map((_, j) => (j === i ? 'visible' : 'hidden')).join(';');
      return `<g visibility="${i === 0 ? 'visible' : 'hidden'}">${frameShapes(f, '#b5651d')}<animate attributeName="visibility" values="${vis}" keyTimes="${keyTimes}" dur="${dur}s" calcMode="discrete" repeatCount="indefinite"/></g>`;
    })
    .join('\n');
  const camera = torsoX.map((x) => `${(W / 2 - x * PX).toFixed(1)},${H - 70}`).join(';');
  const caption = `${title} — task ${JSON.stringify(r.task)}, ${r.steps} adaptation step(s); return ${r.episodeReturn.toFixed(1)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">
<rect width="${W}" height="${H}" fill="#f4f1ea"/>
<text x="10" y="20" font-size="13">${caption.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>
<g transform="translate(${W / 2 - torsoX[0]! * PX} ${H - 70})"><animateTransform attributeName="transform" type="translate" values="${camera}" keyTimes="${keyTimes}" dur="${dur}s" calcMode="discrete" repeatCount="indefinite"/>
<rect x="${(minX * PX).toFixed(1)}" y="${(-ground * PX).toFixed(1)}" width="${((maxX - minX) * PX).toFixed(1)}" height="70" fill="#d9d2c3"/>
<g transform="translate(0 ${(-ground * PX).toFixed(1)})">${ticks.join('')}</g>
${frames}
</g>
</svg>
`;
}

/** A static filmstrip (every `every`-th frame side by side, spaced by position) for a PNG preview. */
export function filmstripSvg(r: RenderedRollout, every = 10): string {
  const picked = r.frames.filter((_, i) => i % every === 0);
  const W = 220 * picked.length;
  const H = 220;
  const cells = picked
    .map((f, i) => {
      const tx = f.bodies.find((b) => b.name === 'torso')?.x ?? 0;
      return `<g transform="translate(${i * 220 + 110 - tx * 110} 170) scale(${110 / PX})">${frameShapes(f, '#b5651d')}</g><text x="${i * 220 + 110}" y="205" font-size="13" text-anchor="middle">t = ${(i * every * r.dt).toFixed(1)} s, x = ${tx.toFixed(2)} m</text><line x1="${i * 220}" y1="${170 - f.groundZ * 110}" x2="${i * 220 + 215}" y2="${170 - f.groundZ * 110}" stroke="#777"/>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif"><rect width="${W}" height="${H}" fill="white"/>${cells}</svg>\n`;
}
