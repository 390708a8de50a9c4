/**
 * Planar half-cheetah environments (the MAML paper's, on a planar model of MuJoCo's): the running base
 * {@link HalfCheetahEnv} and the two MAML task families, {@link HalfCheetahVelEnv} (target velocity)
 * and {@link HalfCheetahDirEnv} (direction).
 *
 * Observation (17): root z (relative to the 0.7 m start height, as MuJoCo's rootz slide), root angle,
 * 6 hinge angles, root x/z/angle velocities, 6 hinge velocities. Action (6) in [−1, 1]: torque =
 * gear · clip(a, −1, 1). One control step is 5 physics steps of 0.01 s; forward velocity is the torso's
 * displacement over the control step divided by 0.05 s.
 */
import type { Rng } from '../src/rng.ts';
import { createRng } from '../src/rng.ts';
import type { Box, Env, MetaEnv, StepResult, Task } from '../src/types.ts';
import {
  GEARS,
  HalfCheetahPhysics,
  type HalfCheetahRenderState,
  NQ,
  NUM_JOINTS,
  PHYSICS_DT,
} from './half-cheetah-physics.ts';

/** Physics steps per control step. */
export const FRAME_SKIP = 5;
/** Control step (s). */
export const CONTROL_DT = FRAME_SKIP * PHYSICS_DT;
/** Weight of the control cost 0.05·Σa² in every cheetah reward. */
export const CTRL_COST_WEIGHT = 0.05;
/** Default horizon (control steps). */
export const HALF_CHEETAH_HORIZON = 100;
const OBS_DIM = 17;
const ACT_DIM = NUM_JOINTS;
/** Half-width of the uniform reset noise on positions; velocities get this times N(0, 1). */
const RESET_NOISE = 0.1;

/** Options of the half-cheetah envs. */
export interface HalfCheetahOptions {
  /** Horizon: `truncated` is set on this step. Default {@link HALF_CHEETAH_HORIZON}. */
  maxEpisodeSteps?: number;
}

function box(n: number, low: number, high: number): Box {
  return { shape: [n], low: new Float32Array(n).fill(low), high: new Float32Array(n).fill(high) };
}

/**
 * The half-cheetah with reward v − 0.05·Σa² (run forward). Subclasses change the reward only.
 *
 * `reset({ seed })` re-seeds the reset noise (positions U(±0.1), velocities 0.1·N(0, 1) on all nine
 * generalised coordinates) and builds a fresh physics engine; without a seed the current stream goes on
 * (it starts as `createRng(0)`).
 */
export class HalfCheetahEnv implements Env {
  readonly id: string;
  readonly observationSpace: Box = box(OBS_DIM, -Infinity, Infinity);
  readonly actionSpace: Box = box(ACT_DIM, -1, 1);
  readonly maxEpisodeSteps: number;

  private physics: HalfCheetahPhysics | undefined;
  private rng: Rng = createRng(0);
  private t = 0;
  private ended = false;
  private forwardVelocity = 0;
  private readonly torques = new Float64Array(NUM_JOINTS);
  private readonly qpos = new Float64Array(NQ);
  private readonly qvel = new Float64Array(NQ);

  /**
   * @param id the registered id of the variant (used in its messages).
   * @param options `maxEpisodeSteps` (default {@link HALF_CHEETAH_HORIZON}, 100 steps).
   * @throws RangeError when `maxEpisodeSteps` is not a positive integer.
   */
  constructor(id = 'HalfCheetah-v0', options: HalfCheetahOptions = {}) {
    const horizon = options.maxEpisodeSteps ?? HALF_CHEETAH_HORIZON;
    if (!Number.isInteger(horizon) || horizon < 1) {
      throw new RangeError(`${id}: maxEpisodeSteps must be a positive integer, got ${horizon}`);
    }
    this.id = id;
    this.maxEpisodeSteps = horizon;
  }

  reset(opts: { seed?: number } = {}): { obs: Float32Array } {
    if (opts.seed !== undefined) this.rng = createRng(opts.seed);
    const { qpos, qvel, rng } = this;
    for (let i = 0; i < NQ; i++) qpos[i] = rng.uniformRange(-RESET_NOISE, RESET_NOISE);
    for (let i = 0; i < NQ; i++) qvel[i] = RESET_NOISE * rng.normal();
    // One physics instance per env, reset in place: the same trajectory as a new one, ~10× cheaper.
    const physics = (this.physics ??= new HalfCheetahPhysics());
    physics.reset(qpos, qvel);
    this.t = 0;
    this.ended = false;
    this.forwardVelocity = 0;
    return { obs: this.observe(physics) };
  }

  /** Applies `action` (6 values, clipped to [−1, 1]) for one control step of {@link CONTROL_DT}. */
  step(action: Float32Array): StepResult {
    const physics = this.physics;
    if (physics === undefined) throw new Error(`${this.id}: step() called before reset()`);
    if (this.ended) throw new Error(`${this.id}: step() called after the episode ended; call reset()`);
    if (action.length !== ACT_DIM) {
      throw new RangeError(`${this.id}: action must have ${ACT_DIM} entries, got ${action.length}`);
    }
    let sumSq = 0;
    for (let j = 0; j < ACT_DIM; j++) {
      const a = action[j]!;
      if (!Number.isFinite(a)) throw new RangeError(`${this.id}: action[${j}] is not finite: ${a}`);
      const clipped = a < -1 ? -1 : a > 1 ? 1 : a;
      this.torques[j] = GEARS[j]! * clipped;
      // The cost is on the action as given (Gym's convention), not the clipped one.
      sumSq += a * a;
    }
    const x0 = physics.torsoX();
    for (let s = 0; s < FRAME_SKIP; s++) physics.step(this.torques);
    const v = (physics.torsoX() - x0) / CONTROL_DT;
    this.forwardVelocity = v;
    this.t += 1;
    const truncated = this.t >= this.maxEpisodeSteps;
    this.ended = truncated;
    return { obs: this.observe(physics), reward: this.reward(v, CTRL_COST_WEIGHT * sumSq), terminated: false, truncated };
  }

  /** Forward velocity (m/s) of the last control step. */
  get lastForwardVelocity(): number {
    return this.forwardVelocity;
  }

  /** Pose for drawing (metres, z up); throws before the first reset. */
  renderState(): HalfCheetahRenderState {
    if (this.physics === undefined) throw new Error(`${this.id}: renderState() called before reset()`);
    return this.physics.renderState();
  }

  /** The physics of the current episode (for diagnostics and tests); throws before the first reset. */
  get simulation(): HalfCheetahPhysics {
    if (this.physics === undefined) throw new Error(`${this.id}: no simulation before reset()`);
    return this.physics;
  }

  /** Reward of one control step from the forward velocity and the control cost 0.05·Σa². */
  protected reward(forwardVelocity: number, ctrlCost: number): number {
    return forwardVelocity - ctrlCost;
  }

  private observe(physics: HalfCheetahPhysics): Float32Array {
    const { qpos, qvel } = this;
    physics.getGeneralized(qpos, qvel);
    const obs = new Float32Array(OBS_DIM);
    for (let i = 1; i < NQ; i++) obs[i - 1] = qpos[i]!;
    for (let i = 0; i < NQ; i++) obs[NQ - 1 + i] = qvel[i]!;
    return obs;
  }
}

/** A `HalfCheetahVel-v0` task: the target forward velocity (m/s). */
export interface HalfCheetahVelTask extends Task {
  velocity: number;
}

/** A `HalfCheetahDir-v0` task: +1 run forward, −1 run backward. */
export interface HalfCheetahDirTask extends Task {
  direction: 1 | -1;
}

function checkCount(id: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${id}: sampleTasks n must be a non-negative integer, got ${n}`);
}

function checkVelocity(id: string, task: unknown): number {
  const v = typeof task === 'object' && task !== null ? (task as Record<string, unknown>)['velocity'] : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RangeError(`${id}: task.velocity must be a finite number, got ${String(v)}`);
  }
  return v;
}

function checkDirection(id: string, task: unknown): 1 | -1 {
  const d = typeof task === 'object' && task !== null ? (task as Record<string, unknown>)['direction'] : undefined;
  if (d !== 1 && d !== -1) throw new RangeError(`${id}: task.direction must be 1 or -1, got ${String(d)}`);
  return d;
}

/**
 * `HalfCheetahVel-v0`: reward −|v − v_goal| − 0.05·Σa², tasks v_goal ~ U[0, 2] (MAML, Finn et al. 2017).
 * The task defaults to `{ velocity: 1 }` until {@link HalfCheetahVelEnv.setTask}.
 */
export class HalfCheetahVelEnv extends HalfCheetahEnv implements MetaEnv<HalfCheetahVelTask> {
  static readonly ID = 'HalfCheetahVel-v0';
  readonly taskDim = 1;
  private goal = 1;

  /**
   * @param options `maxEpisodeSteps` (default {@link HALF_CHEETAH_HORIZON}, 100 steps).
   * @throws RangeError when `maxEpisodeSteps` is not a positive integer.
   */
  constructor(options: HalfCheetahOptions = {}) {
    super(HalfCheetahVelEnv.ID, options);
  }

  sampleTasks(n: number, rng: Rng): HalfCheetahVelTask[] {
    checkCount(this.id, n);
    return Array.from({ length: n }, () => ({ velocity: rng.uniformRange(0, 2) }));
  }

  setTask(task: HalfCheetahVelTask): void {
    this.goal = checkVelocity(this.id, task);
  }

  getTask(): HalfCheetahVelTask {
    return { velocity: this.goal };
  }

  taskVector(task: HalfCheetahVelTask): Float32Array {
    return Float32Array.of(checkVelocity(this.id, task));
  }

  protected override reward(forwardVelocity: number, ctrlCost: number): number {
    return -Math.abs(forwardVelocity - this.goal) - ctrlCost;
  }
}

/**
 * `HalfCheetahDir-v0`: reward d·v − 0.05·Σa², tasks d = ±1 with probability ½ each (MAML, Finn et al. 2017).
 * The task defaults to `{ direction: 1 }` until {@link HalfCheetahDirEnv.setTask}.
 */
export class HalfCheetahDirEnv extends HalfCheetahEnv implements MetaEnv<HalfCheetahDirTask> {
  static readonly ID = 'HalfCheetahDir-v0';
  readonly taskDim = 1;
  private direction: 1 | -1 = 1;

  /**
   * @param options `maxEpisodeSteps` (default {@link HALF_CHEETAH_HORIZON}, 100 steps).
   * @throws RangeError when `maxEpisodeSteps` is not a positive integer.
   */
  constructor(options: HalfCheetahOptions = {}) {
    super(HalfCheetahDirEnv.ID, options);
  }

  sampleTasks(n: number, rng: Rng): HalfCheetahDirTask[] {
    checkCount(this.id, n);
    return Array.from({ length: n }, () => ({ direction: rng.uniform() < 0.5 ? (-1 as const) : (1 as const) }));
  }

  setTask(task: HalfCheetahDirTask): void {
    this.direction = checkDirection(this.id, task);
  }

  getTask(): HalfCheetahDirTask {
    return { direction: this.direction };
  }

  taskVector(task: HalfCheetahDirTask): Float32Array {
    return Float32Array.of(checkDirection(this.id, task));
  }

  protected override reward(forwardVelocity: number, ctrlCost: number): number {
    return this.direction * forwardVelocity - ctrlCost;
  }
}
