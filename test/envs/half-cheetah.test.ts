import Matter from 'matter-js';
import { describe, expect, it } from 'vitest';
import { GEARS, HalfCheetahPhysics, NQ, TOTAL_MASS } from '../../envs/half-cheetah-physics.ts';
import {
  CTRL_COST_WEIGHT,
  HalfCheetahDirEnv,
  HalfCheetahEnv,
  HalfCheetahVelEnv,
} from '../../envs/half-cheetah.ts';
import { createRng } from '../../src/rng.ts';

const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/** Runs `steps` control steps from `reset({ seed })` with actions from `policy(t, out)`. */
function rollout(
  env: HalfCheetahEnv,
  seed: number,
  steps: number,
  policy: (t: number, out: Float32Array) => void,
  onStep: (t: number) => void = () => {},
): void {
  env.reset({ seed });
  const a = new Float32Array(6);
  for (let t = 0; t < steps; t++) {
    policy(t, a);
    env.step(a);
    onStep(t);
  }
}

interface Gait {
  freq: number;
  /** Phase of each joint, in units of π. */
  phases: number[];
  amplitudes: number[];
  offsets: number[];
}

/**
 * Open-loop gaits a_j = clip(o_j + A_j·sin(2π·f·t + φ_j), −1, 1), t = control step × 0.05 s, found by a
 * cross-entropy search maximising mean − std of the average speed over reset seeds 0–5, then rounded.
 * Over seeds 0–9 they average 3.4–3.95 m/s forward and −4.5…−4.9 m/s backward.
 */
const GAITS: Record<'forward' | 'backward', Gait> = {
  forward: {
    freq: 4.541,
    phases: [0.614, 1.28, 0.043, 0.15, 0.157, 1.905],
    amplitudes: [0.978, 0.857, 0.633, 0.754, 1.308, 1.611],
    offsets: [0.27, 0.354, -0.178, -0.232, -0.199, -0.038],
  },
  backward: {
    freq: 4.229,
    phases: [0.361, 0.619, 0.19, 1.368, 0.118, 0.156],
    amplitudes: [0.866, 0.276, 0.786, 1.252, 1.283, 0.94],
    offsets: [0.428, 0.238, 0.491, -0.222, -0.247, 0.27],
  },
};

function sinusoid(gait: Gait): (t: number, out: Float32Array) => void {
  return (t, out) => {
    for (let j = 0; j < 6; j++) {
      const a = gait.offsets[j]! + gait.amplitudes[j]! * Math.sin(2 * Math.PI * gait.freq * t * 0.05 + Math.PI * gait.phases[j]!);
      out[j] = Math.min(1, Math.max(-1, a));
    }
  };
}

describe('half-cheetah model', () => {
  it('has the reference masses and parts that only collide with the ground', () => {
    expect(TOTAL_MASS).toBeCloseTo(14.01, 6);
    const physics = new HalfCheetahPhysics();
    const parts = physics.bodies;
    expect(parts).toHaveLength(7);
    for (let i = 0; i < parts.length; i++) {
      expect(Matter.Detector.canCollide(parts[i]!.collisionFilter, physics.ground.collisionFilter)).toBe(true);
      for (let k = i + 1; k < parts.length; k++) {
        expect(Matter.Detector.canCollide(parts[i]!.collisionFilter, parts[k]!.collisionFilter)).toBe(false);
      }
    }
  });

  it('never reports a contact pair between two cheetah parts', () => {
    const physics = new HalfCheetahPhysics();
    const rng = createRng(11);
    const qpos = new Float64Array(NQ);
    const qvel = new Float64Array(NQ);
    physics.setGeneralized(qpos, qvel);
    const torques = new Float64Array(6);
    let groundPairs = 0;
    for (let s = 0; s < 5000; s++) {
      if (s % 5 === 0) for (let j = 0; j < 6; j++) torques[j] = GEARS[j]! * (rng.uniform() < 0.5 ? -1 : 1);
      physics.step(torques);
      for (const pair of physics.contactPairs()) {
        expect([pair.a, pair.b]).toContain('ground');
        expect(pair.a === 'ground' && pair.b === 'ground').toBe(false);
        groundPairs++;
      }
    }
    // The check must have seen contacts at all.
    expect(groundPairs).toBeGreaterThan(1000);
  });
});

describe('half-cheetah dynamics against MuJoCo', () => {
  it('free flight matches MuJoCo (reference model, contacts disabled) step for step', () => {
    // Reference: the official MuJoCo WebAssembly build (npm mujoco-js 0.0.7) on the reference model
    // (reference.md table as MJCF fromto capsules, settotalmass 14, timestep 0.01, Euler), contacts
    // disabled, from this state with constant controls. MuJoCo scales the masses to exactly 14 kg
    // (the table sums to 14.01), which accounts for the ~5e-4 residual.
    const qpos0 = [0.05, 0.3, 0.2, 0.1, -0.2, 0.3, -0.1, 0.2, -0.15];
    const qvel0 = [0.5, 0.2, 1.0, -2, 3, 1, -1, 2, -3];
    const ctrl = [0.3, -0.5, 0.2, -0.1, 0.4, -0.6];
    const reference: Record<number, { qpos: number[]; qvel: number[] }> = {
      1: {
        qpos: [0.055756, 0.301175, 0.210815, 0.089761, -0.182329, 0.29061, -0.106033, 0.215315, -0.183733],
        qvel: [0.5756, 0.11749, 1.08145, -1.02388, 1.76713, -0.93904, -0.60334, 1.53148, -3.37331],
      },
      5: {
        qpos: [0.084141, 0.297017, 0.260471, 0.113332, -0.200102, 0.158361, -0.099281, 0.230178, -0.315672],
        qvel: [0.7613, -0.24772, 1.30129, 1.16597, -1.31845, -3.77624, 0.50919, -0.21626, -2.91772],
      },
      20: {
        qpos: [0.189163, 0.137419, 0.441378, 0.152972, -0.246197, 0.113305, -0.067978, 0.196834, -0.287414],
        qvel: [0.66144, -1.76035, 1.15988, -0.1104, 0.21202, 0.40051, -0.16633, 0.23373, 0.99919],
      },
    };
    const physics = new HalfCheetahPhysics();
    physics.setGeneralized(qpos0, qvel0);
    const torques = ctrl.map((c, j) => c * GEARS[j]!);
    const qpos = new Float64Array(NQ);
    const qvel = new Float64Array(NQ);
    for (let step = 1; step <= 20; step++) {
      physics.step(torques);
      const ref = reference[step];
      if (!ref) continue;
      // High enough that nothing touches the ground.
      expect(physics.contactPairs()).toHaveLength(0);
      physics.getGeneralized(qpos, qvel);
      for (let i = 0; i < NQ; i++) {
        expect(Math.abs(qpos[i]! - ref.qpos[i]!), `step ${step} qpos[${i}]`).toBeLessThan(2e-4);
        expect(Math.abs(qvel[i]! - ref.qvel[i]!), `step ${step} qvel[${i}]`).toBeLessThan(2e-3);
      }
    }
  });
});

describe('half-cheetah stability', () => {
  for (const mode of ['uniform', 'bang-bang'] as const) {
    it(`stays finite, jointed and within its limits under ${mode} random actions (10 seeds × 1000 steps)`, () => {
      const env = new HalfCheetahEnv('HalfCheetah-v0', { maxEpisodeSteps: 1000 });
      let worstSeparation = 0;
      let worstOvershoot = 0;
      let nonFinite = 0;
      for (const seed of SEEDS) {
        const rng = createRng(1000 + seed);
        env.reset({ seed });
        const a = new Float32Array(6);
        for (let t = 0; t < 1000; t++) {
          for (let j = 0; j < 6; j++) {
            a[j] = mode === 'uniform' ? rng.uniformRange(-1, 1) : rng.uniform() < 0.5 ? -1 : 1;
          }
          const { obs, reward } = env.step(a);
          if (!Number.isFinite(reward) || obs.some((x) => !Number.isFinite(x))) nonFinite++;
          worstSeparation = Math.max(worstSeparation, env.simulation.maxPivotSeparation());
          worstOvershoot = Math.max(worstOvershoot, env.simulation.maxLimitOvershoot());
        }
      }
      expect(nonFinite).toBe(0);
      expect(worstSeparation).toBeLessThanOrEqual(0.002);
      expect(worstOvershoot).toBeLessThanOrEqual(0.15);
    });
  }

  it('comes to rest under zero action and stays there', () => {
    // Measured: 24–44 control steps over seeds 0–19 (the issue asks for 50). The stance sway (feet
    // pivoting, ~1.3 Hz) is damped by the hinge dampers and the contacts' rolling friction; without the
    // latter it took 72–97 steps (MuJoCo with rigid contacts: 92; with its default soft contacts, whose
    // slip dissipates: 40). Velocities then fall to ~1e-15.
    const SETTLE_LIMIT = 50;
    const env = new HalfCheetahEnv('HalfCheetah-v0', { maxEpisodeSteps: SETTLE_LIMIT + 100 });
    const zero = new Float32Array(6);
    for (const seed of SEEDS) {
      env.reset({ seed });
      const atRest: boolean[] = [];
      let finalSpeed = Infinity;
      for (let t = 0; t < SETTLE_LIMIT + 100; t++) {
        const { obs } = env.step(zero);
        const jointSpeed = Math.max(...Array.from(obs.subarray(11, 17), Math.abs));
        atRest.push(jointSpeed < 0.01 && Math.abs(env.lastForwardVelocity) < 1e-3);
        finalSpeed = Math.max(jointSpeed, Math.abs(env.lastForwardVelocity));
      }
      // Settled = at rest on every step from then on (the sway crosses zero speed before that).
      const settled = atRest.lastIndexOf(false) + 1;
      expect(settled, `seed ${seed}`).toBeLessThanOrEqual(SETTLE_LIMIT);
      expect(atRest.length - settled, `seed ${seed}`).toBeGreaterThanOrEqual(100);
      // No creep: matter's own stepping drifts at ~0.04 m/s forever (pitfalls, matter-js 5).
      expect(finalSpeed, `seed ${seed}`).toBeLessThan(1e-5);
    }
  });
});

describe('half-cheetah determinism', () => {
  it('repeats bit for bit for the same seed and actions, even with another env stepped in between', () => {
    const actions = Array.from({ length: 300 }, (_, t) => {
      const rng = createRng(5000 + t);
      return Float32Array.from({ length: 6 }, () => rng.uniformRange(-1, 1));
    });
    const record = (interleave: boolean): { obs: Float32Array[]; rewards: number[] } => {
      const env = new HalfCheetahVelEnv({ maxEpisodeSteps: 300 });
      env.setTask({ velocity: 1.3 });
      const other = new HalfCheetahDirEnv({ maxEpisodeSteps: 1000 });
      const otherRng = createRng(77);
      other.reset({ seed: 3 });
      const obs = [env.reset({ seed: 42 }).obs];
      const rewards: number[] = [];
      for (const a of actions) {
        if (interleave) {
          other.step(Float32Array.from({ length: 6 }, () => otherRng.uniformRange(-1, 1)));
        }
        const res = env.step(a);
        obs.push(res.obs);
        rewards.push(res.reward);
      }
      return { obs, rewards };
    };
    const first = record(false);
    const second = record(true);
    expect(second.rewards).toEqual(first.rewards);
    for (let t = 0; t < first.obs.length; t++) {
      expect(Buffer.from(second.obs[t]!.buffer).equals(Buffer.from(first.obs[t]!.buffer)), `step ${t}`).toBe(true);
    }
  });

  it('re-seeding reset reproduces the episode on the same instance', () => {
    const env = new HalfCheetahDirEnv();
    const a = Float32Array.of(0.5, -0.3, 0.9, -1, 0.2, 0.7);
    const run = (): Float32Array => {
      env.reset({ seed: 9 });
      let obs: Float32Array = new Float32Array(0);
      for (let t = 0; t < 50; t++) obs = env.step(a).obs;
      return obs;
    };
    const x = run();
    const y = run();
    expect(Array.from(y)).toEqual(Array.from(x));
  });
});

describe('half-cheetah gaits', () => {
  // Average forward velocity over control steps 20–99 (the first second is start-up).
  const averageVelocity = (gait: Gait, seed: number): number => {
    const env = new HalfCheetahEnv();
    let sum = 0;
    rollout(env, seed, 100, sinusoid(gait), (t) => {
      if (t >= 20) sum += env.lastForwardVelocity;
    });
    return sum / 80;
  };

  it('an open-loop forward gait averages at least 2 m/s from every seed', () => {
    for (const seed of SEEDS) expect(averageVelocity(GAITS.forward, seed), `seed ${seed}`).toBeGreaterThanOrEqual(2);
  });

  it('an open-loop backward gait averages at most −2 m/s from every seed', () => {
    for (const seed of SEEDS) expect(averageVelocity(GAITS.backward, seed), `seed ${seed}`).toBeLessThanOrEqual(-2);
  });
});

describe('half-cheetah env contract', () => {
  it('resets with the specified noise and observation layout', () => {
    const env = new HalfCheetahEnv();
    const { obs } = env.reset({ seed: 21 });
    const rng = createRng(21);
    const qpos = Array.from({ length: NQ }, () => rng.uniformRange(-0.1, 0.1));
    const qvel = Array.from({ length: NQ }, () => 0.1 * rng.normal());
    // Observation: qpos without rootx, then qvel.
    expect(Array.from(obs)).toEqual(Array.from(Float32Array.from([...qpos.slice(1), ...qvel])));
    expect(obs).toHaveLength(17);
    expect(env.observationSpace.shape).toEqual([17]);
    expect(env.actionSpace.shape).toEqual([6]);
    expect(Array.from(env.actionSpace.low)).toEqual([-1, -1, -1, -1, -1, -1]);
  });

  it('truncates exactly at step 100 and refuses to step past the end or before reset', () => {
    const env = new HalfCheetahVelEnv();
    expect(() => env.step(new Float32Array(6))).toThrow(/before reset/);
    env.reset({ seed: 0 });
    for (let t = 1; t <= 100; t++) {
      const res = env.step(new Float32Array(6));
      expect(res.terminated).toBe(false);
      expect(res.truncated).toBe(t === 100);
    }
    expect(() => env.step(new Float32Array(6))).toThrow(/ended/);
    env.reset({ seed: 0 });
    expect(() => env.step(new Float32Array(5))).toThrow(RangeError);
    expect(() => env.step(Float32Array.of(0, 0, Number.NaN, 0, 0, 0))).toThrow(RangeError);
  });

  it('computes the velocity and direction rewards from Δx / 0.05 s and 0.05·Σa²', () => {
    const a = Float32Array.of(1, -1, 0.5, 0.2, -0.3, 2);
    const ctrl = CTRL_COST_WEIGHT * a.reduce((s, x) => s + x * x, 0);
    const vel = new HalfCheetahVelEnv();
    vel.setTask({ velocity: 1.7 });
    vel.reset({ seed: 4 });
    const x0 = vel.simulation.torsoX();
    const r1 = vel.step(a).reward;
    const v = (vel.simulation.torsoX() - x0) / 0.05;
    expect(vel.lastForwardVelocity).toBeCloseTo(v, 12);
    expect(r1).toBeCloseTo(-Math.abs(v - 1.7) - ctrl, 12);

    const dir = new HalfCheetahDirEnv();
    dir.setTask({ direction: -1 });
    dir.reset({ seed: 4 });
    const r2 = dir.step(a).reward;
    expect(dir.lastForwardVelocity).toBe(v);
    expect(r2).toBeCloseTo(-v - ctrl, 12);
  });

  it('samples tasks reproducibly from the reference distributions', () => {
    const vel = new HalfCheetahVelEnv();
    const tasks = vel.sampleTasks(1000, createRng(3).fork('tasks'));
    expect(tasks).toEqual(vel.sampleTasks(1000, createRng(3).fork('tasks')));
    const goals = tasks.map((t) => t.velocity);
    expect(Math.min(...goals)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...goals)).toBeLessThan(2);
    expect(goals.reduce((s, g) => s + g, 0) / goals.length).toBeCloseTo(1, 1);

    const dir = new HalfCheetahDirEnv();
    const dirs = dir.sampleTasks(1000, createRng(3));
    expect(new Set(dirs.map((t) => t.direction))).toEqual(new Set([1, -1]));
    const forward = dirs.filter((t) => t.direction === 1).length;
    expect(forward).toBeGreaterThan(440);
    expect(forward).toBeLessThan(560);

    expect(vel.taskDim).toBe(1);
    expect(Array.from(vel.taskVector({ velocity: 0.25 }))).toEqual([0.25]);
    expect(Array.from(dir.taskVector({ direction: -1 }))).toEqual([-1]);
  });

  it('validates tasks, naming the field and the value', () => {
    const vel = new HalfCheetahVelEnv();
    expect(() => vel.setTask({ velocity: Number.NaN })).toThrow(/task\.velocity.*NaN/);
    expect(() => vel.setTask({ speed: 1 } as never)).toThrow(RangeError);
    expect(() => vel.setTask({ velocity: '1' } as never)).toThrow(/task\.velocity.*1/);
    vel.setTask({ velocity: 0.4 });
    expect(vel.getTask()).toEqual({ velocity: 0.4 });

    const dir = new HalfCheetahDirEnv();
    expect(() => dir.setTask({ direction: 0 } as never)).toThrow(/task\.direction.*0/);
    expect(() => dir.setTask({ direction: 0.5 } as never)).toThrow(RangeError);
    dir.setTask({ direction: -1 });
    expect(dir.getTask()).toEqual({ direction: -1 });
    expect(() => vel.sampleTasks(-1, createRng(0))).toThrow(RangeError);
  });

  it('renders capsules in metres with z up', () => {
    const env = new HalfCheetahEnv();
    env.reset({ seed: 0 });
    const state = env.renderState();
    expect(state.bodies.map((b) => b.name)).toEqual(['torso', 'bthigh', 'bshin', 'bfoot', 'fthigh', 'fshin', 'ffoot']);
    expect(state.capsules).toHaveLength(8);
    const torso = state.capsules[0]!;
    // Torso capsule: 1 m long, about 0.7 m up at reset.
    expect(Math.hypot(torso.x2 - torso.x1, torso.z2 - torso.z1)).toBeCloseTo(1, 9);
    expect((torso.z1 + torso.z2) / 2).toBeGreaterThan(0.5);
    expect(state.groundZ).toBe(0);
  });
});
