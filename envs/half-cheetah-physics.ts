/**
 * Planar half-cheetah (the MuJoCo `half_cheetah.xml` model) on matter-js.
 *
 * matter-js supplies the bodies (capsules as convex polygons, the torso a compound of torso and head),
 * the narrow-phase collision test (SAT) and the persistent contact pairs (which also hold this solver's
 * warm-start impulses). The broad phase is this module's: only part–ground pairs are ever tested, in
 * the order matter's own detector would report them (the parts also share one negative collision group,
 * so matter itself would never pair them either). The dynamics are not matter's: stock `Engine.update` lets the cheetah creep forever and
 * blows up with stiff joint limits (measured while building this env).
 *
 * Each 10 ms substep runs, in the Box2D order:
 * 1. forces → velocities: gravity, Coriolis/centripetal terms, motor torques and hinge springs, with
 *    the hinge dampers implicit, exactly as MuJoCo's Euler integrator does it;
 * 2. an iterative velocity solve (projected Gauss–Seidel, warm-started) of the joint limits and the
 *    contacts (non-negative normal impulse, Coulomb and rolling friction), both speculative: a gap to the ground or
 *    to a limit may close within the step, no more;
 * 3. integration of the positions;
 * 4. contact detection at the new poses (matter's SAT on the parts near the ground) and matter's pair update;
 * 5. a projection of the positions out of penetration and limit violation, velocities untouched.
 *
 * The velocities solved for are the MuJoCo generalised velocities (rootx, rootz, rooty, six hinges),
 * not per-body ones, and the mass matrix includes the hinges' 0.1 kg·m² armature exactly. A per-body
 * (maximal-coordinate) solver with pin constraints was tried first and measured: because the armature is
 * 5–30× the leg links' own inertia, Gauss–Seidel could not hold the pins (6–9 mm separation, 0.17 rad
 * limit overshoot under bang-bang actions, even at 40 iterations). In generalised coordinates the
 * hinges cannot separate, and only limits and contacts are left to iterate on.
 *
 * Solver units are SI in a frame with x forward and y **down** (matter's screen frame divided by
 * {@link PX_PER_M}); angles follow MuJoCo's hinge-about-+y convention, which has the same sign as
 * matter's. Hinge angle q = θ_child − θ_parent; every body has angle 0 at q = 0.
 *
 * This module reaches into matter internals (`pairs.list`, `pair.contactCount`, vertex and axis arrays),
 * which is why package.json pins matter-js to exactly 0.20.0.
 */
import Matter from 'matter-js';

/** matter-js scale: 1 m = 100 px, so matter's pixel-sized tolerances fit a 1 m-long cheetah. */
export const PX_PER_M = 100;
/** Physics timestep (s). */
export const PHYSICS_DT = 0.01;
/** Gravity (m/s²). */
export const GRAVITY = 9.81;
/** Radius of every capsule (m). */
export const CAPSULE_RADIUS = 0.046;
/** Coulomb friction coefficient of every part and of the ground. */
export const FRICTION = 0.4;
/** Height of the torso origin at qpos = 0 (m); the root-z coordinate is measured from it. */
export const TORSO_HEIGHT = 0.7;
/** Number of bodies (torso + 6 leg links). */
export const NUM_BODIES = 7;
/** Number of hinges (actuated joints), the action size. */
export const NUM_JOINTS = 6;
/** Generalised coordinates: rootx, rootz, rooty, then the 6 hinges (MuJoCo's qpos order). */
export const NQ = 3 + NUM_JOINTS;
if (NQ !== 9) throw new Error('half-cheetah: the unrolled solver loops assume NQ = 9');

/** Rotor inertia MuJoCo adds to every leg hinge (kg·m²). */
const ARMATURE = 0.1;
/** Segments per capsule half-circle in its polygon (18 vertices a capsule). */
const CAP_SEGMENTS = 8;
/**
 * matter's polygons are the capsules inflated by this margin (m), so a contact is found while the real
 * surface is still up to 2 cm away; the solver then treats it as speculative (it lets the gap close,
 * no more), which keeps fast feet from sinking into the ground before they are detected.
 */
const SPECULATIVE_MARGIN = 0.02;

/**
 * Rolling friction (m): each contact resists the contacting body's rotation with a torque of at most
 * `ROLLING_FRICTION`·λ_n, as MuJoCo's condim-6 rolling friction does. A real capsule touches the ground
 * over a patch, not a point, so rolling over it costs work; 2 mm is a rolling-resistance coefficient of
 * 0.04 for the 46 mm capsule radius (a soft pad, between a tyre on concrete and one on soil). Without it
 * the only dissipation of the stance sway (the feet pivoting on the ground, ~1.3 Hz) is the hinge dampers,
 * and the cheetah took 72–97 control steps to come to rest from a reset with zero action. MuJoCo's default
 * soft contacts settle it in ~40 through slip; making this solver's friction rows soft the same way (a
 * regulariser R = 0.05–0.25 × the row's J·M̃⁻¹·Jᵀ) was tried and left the feet creeping at 1e-4–3e-3 m/s
 * after 250 control steps. With rolling friction: 24–44 steps over reset seeds 0–19, and no creep (the
 * row is static friction, not a viscous term). The open-loop test gaits change speed by at most 5 %.
 */
const ROLLING_FRICTION = 0.002;

const VELOCITY_ITERATIONS = 16;
const POSITION_ITERATIONS = 8;
/** Position-pass tolerances, as in Box2D: penetration below `LINEAR_SLOP` is left alone. */
const LINEAR_SLOP = 0.0005;
const CONTACT_BAUMGARTE = 0.2;
const MAX_LINEAR_CORRECTION = 0.05;
const ANGULAR_SLOP = 0.002;
const MAX_ANGULAR_CORRECTION = 0.1;
/** A limit row enters the velocity solve when the hinge is, or would end the step, this close to it (rad). */
const LIMIT_WINDOW = 0.05;

/** The ground: a static slab whose top face is y = 0, far wider than any episode can travel. */
const GROUND_HALF_WIDTH_M = 1e5;
const GROUND_THICKNESS_M = 100;

/** One body of the MuJoCo model, in its parent's frame with z up (as in the XML). */
interface LinkSpec {
  readonly name: string;
  readonly parent: number;
  /** Body origin in the parent frame (world frame for the torso). */
  readonly pos: readonly [number, number];
  /** Capsules as end points `[x1, z1, x2, z2]` in the body frame. */
  readonly capsules: readonly (readonly [number, number, number, number])[];
  readonly mass: number;
}

/** One hinge: joint of body `index + 1` about its own origin. */
interface HingeSpec {
  readonly range: readonly [number, number];
  readonly stiffness: number;
  readonly damping: number;
  readonly gear: number;
}

/** Body names, in model order (index 0 is the torso, index j + 1 carries hinge j). */
export const BODY_NAMES = ['torso', 'bthigh', 'bshin', 'bfoot', 'fthigh', 'fshin', 'ffoot'] as const;

const LINKS: readonly LinkSpec[] = [
  {
    name: 'torso',
    parent: -1,
    pos: [0, TORSO_HEIGHT],
    capsules: [
      [-0.5, 0, 0.5, 0],
      [0.485, 0.003, 0.715, 0.197],
    ],
    mass: 6.25,
  },
  { name: 'bthigh', parent: 0, pos: [-0.5, 0], capsules: [[0.011, -0.015, 0.189, -0.245]], mass: 1.54 },
  { name: 'bshin', parent: 1, pos: [0.16, -0.25], capsules: [[-0.006, -0.004, -0.274, -0.136]], mass: 1.59 },
  { name: 'bfoot', parent: 2, pos: [-0.28, -0.14], capsules: [[0.005, -0.006, 0.055, -0.188]], mass: 1.1 },
  { name: 'fthigh', parent: 0, pos: [0.5, 0], capsules: [[-0.004, -0.005, -0.136, -0.235]], mass: 1.44 },
  { name: 'fshin', parent: 4, pos: [-0.14, -0.24], capsules: [[0.005, -0.003, 0.125, -0.177]], mass: 1.2 },
  { name: 'ffoot', parent: 5, pos: [0.13, -0.18], capsules: [[0.005, -0.012, 0.085, -0.128]], mass: 0.89 },
];

const HINGES: readonly HingeSpec[] = [
  { range: [-0.52, 1.05], stiffness: 240, damping: 6, gear: 120 },
  { range: [-0.785, 0.785], stiffness: 180, damping: 4.5, gear: 90 },
  { range: [-0.4, 0.785], stiffness: 120, damping: 3, gear: 60 },
  { range: [-1, 0.7], stiffness: 180, damping: 4.5, gear: 120 },
  { range: [-1.2, 0.87], stiffness: 120, damping: 3, gear: 60 },
  { range: [-0.5, 0.5], stiffness: 60, damping: 1.5, gear: 30 },
];

/** Motor gears (max torque, N·m) in actuator order bthigh, bshin, bfoot, fthigh, fshin, ffoot. */
export const GEARS: Float64Array = Float64Array.from(HINGES, (h) => h.gear);
/** Joint ranges (rad), `[lower, upper]` per hinge in actuator order. */
export const JOINT_RANGES: readonly (readonly [number, number])[] = HINGES.map((h) => h.range);

/** A capsule in a body's COM frame (solver frame, y down, metres). */
interface CapsuleGeom {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly cx: number;
  readonly cy: number;
}

/** Mass properties and geometry of one body, derived once from {@link LINKS}. */
interface BodyGeom {
  readonly mass: number;
  /** Rotational inertia about the COM (kg·m²). */
  readonly inertia: number;
  /** COM in the body frame (y down). */
  readonly comX: number;
  readonly comY: number;
  readonly capsules: readonly CapsuleGeom[];
}

/** Solid capsule (cylinder of length `len` plus two hemispheres) about a transverse axis through its centre. */
function capsuleInertia(mass: number, len: number, r: number): number {
  const vCyl = Math.PI * r * r * len;
  const vSph = (4 / 3) * Math.PI * r * r * r;
  const mCyl = (mass * vCyl) / (vCyl + vSph);
  const mSph = mass - mCyl;
  const h = len / 2;
  // Each hemisphere: (83/320)·m·r² about its own centroid, which sits 3r/8 beyond the cylinder's end.
  return mCyl * (r * r / 4 + len * len / 12) + mSph * ((83 / 320) * r * r + (h + (3 * r) / 8) ** 2);
}

function capsuleVolume(len: number, r: number): number {
  return Math.PI * r * r * len + (4 / 3) * Math.PI * r * r * r;
}

function buildBodyGeom(link: LinkSpec): BodyGeom {
  const r = CAPSULE_RADIUS;
  // Solver frame: y = −z.
  const caps = link.capsules.map(([x1, z1, x2, z2]) => ({
    x1,
    y1: -z1,
    x2,
    y2: -z2,
    len: Math.hypot(x2 - x1, z2 - z1),
  }));
  const vols = caps.map((c) => capsuleVolume(c.len, r));
  const vTot = vols.reduce((a, b) => a + b, 0);
  let comX = 0;
  let comY = 0;
  caps.forEach((c, i) => {
    comX += (vols[i]! / vTot) * (c.x1 + c.x2) / 2;
    comY += (vols[i]! / vTot) * (c.y1 + c.y2) / 2;
  });
  let inertia = 0;
  caps.forEach((c, i) => {
    const m = (link.mass * vols[i]!) / vTot;
    const dx = (c.x1 + c.x2) / 2 - comX;
    const dy = (c.y1 + c.y2) / 2 - comY;
    inertia += capsuleInertia(m, c.len, r) + m * (dx * dx + dy * dy);
  });
  return {
    mass: link.mass,
    inertia,
    comX,
    comY,
    capsules: caps.map((c) => ({
      x1: c.x1 - comX,
      y1: c.y1 - comY,
      x2: c.x2 - comX,
      y2: c.y2 - comY,
      cx: (c.x1 + c.x2) / 2 - comX,
      cy: (c.y1 + c.y2) / 2 - comY,
    })),
  };
}

const BODY_GEOMS: readonly BodyGeom[] = LINKS.map(buildBodyGeom);

/** Total mass (kg); 14.01 by the table. */
export const TOTAL_MASS = BODY_GEOMS.reduce((a, g) => a + g.mass, 0);

/**
 * The polygon matter collides for one capsule: vertices of the inflated capsule (px, COM frame) in
 * matter's winding, and for each vertex the point on the real capsule surface in the same direction
 * (m, COM frame), which is where the solver applies that vertex's contact.
 */
interface PolygonGeom {
  readonly vertsPx: Float64Array;
  readonly surface: Float64Array;
}

function buildPolygon(c: CapsuleGeom): PolygonGeom {
  const n = 2 * (CAP_SEGMENTS + 1);
  const vertsPx = new Float64Array(2 * n);
  const surface = new Float64Array(2 * n);
  const len = Math.hypot(c.x2 - c.x1, c.y2 - c.y1);
  const dx = (c.x2 - c.x1) / len;
  const dy = (c.y2 - c.y1) / len;
  // Normal = axis turned +90°; sweeping φ upward keeps matter's winding (positive signed area).
  const nx = -dy;
  const ny = dx;
  const rIn = CAPSULE_RADIUS + SPECULATIVE_MARGIN;
  let k = 0;
  for (const [ex, ey, phi0] of [
    [c.x2, c.y2, -Math.PI / 2],
    [c.x1, c.y1, Math.PI / 2],
  ] as const) {
    for (let s = 0; s <= CAP_SEGMENTS; s++) {
      const phi = phi0 + (s * Math.PI) / CAP_SEGMENTS;
      const ux = Math.cos(phi) * dx + Math.sin(phi) * nx;
      const uy = Math.cos(phi) * dy + Math.sin(phi) * ny;
      vertsPx[2 * k] = (ex + rIn * ux) * PX_PER_M;
      vertsPx[2 * k + 1] = (ey + rIn * uy) * PX_PER_M;
      surface[2 * k] = ex + CAPSULE_RADIUS * ux;
      surface[2 * k + 1] = ey + CAPSULE_RADIUS * uy;
      k++;
    }
  }
  return { vertsPx, surface };
}

const POLYGONS: readonly (readonly PolygonGeom[])[] = BODY_GEOMS.map((g) => g.capsules.map(buildPolygon));

/** Parent of each body (−1 for the torso). */
const PARENT: Int8Array = Int8Array.from(LINKS, (l) => l.parent);
/** Body origins in their parent's frame (solver frame, y down). */
const LINK_X: Float64Array = Float64Array.from(LINKS, (l) => l.pos[0]);
const LINK_Y: Float64Array = Float64Array.from(LINKS, (l) => -l.pos[1]);
/** `ON_PATH[b * NUM_JOINTS + j]` = 1 when hinge j (the joint of body j + 1) lies between the torso and body b. */
const ON_PATH: Uint8Array = (() => {
  const out = new Uint8Array(NUM_BODIES * NUM_JOINTS);
  for (let b = 0; b < NUM_BODIES; b++) {
    for (let k = b; k > 0; k = PARENT[k]!) out[b * NUM_JOINTS + k - 1] = 1;
  }
  return out;
})();
/** `ANGULAR_J[b * NQ + i]` = ∂φ_b/∂q_i: 1 for the root rotation and the hinges on b's path, else 0. */
const ANGULAR_J: Uint8Array = (() => {
  const out = new Uint8Array(NUM_BODIES * NQ);
  for (let b = 0; b < NUM_BODIES; b++) {
    out[b * NQ + 2] = 1;
    for (let j = 0; j < NUM_JOINTS; j++) out[b * NQ + 3 + j] = ON_PATH[b * NUM_JOINTS + j]!;
  }
  return out;
})();
/** `BODY_COLS[b]`: the generalised coordinates that move body b (root x, y, θ and its path's hinges), ascending. */
const BODY_COLS: readonly Int8Array[] = Array.from({ length: NUM_BODIES }, (_, b) =>
  Int8Array.from([0, 1, 2, ...Array.from({ length: NUM_JOINTS }, (_, j) => j).filter((j) => ON_PATH[b * NUM_JOINTS + j] === 1).map((j) => 3 + j)]),
);
const MASS: Float64Array = Float64Array.from(BODY_GEOMS, (g) => g.mass);
const INERTIA: Float64Array = Float64Array.from(BODY_GEOMS, (g) => g.inertia);
const COM_X: Float64Array = Float64Array.from(BODY_GEOMS, (g) => g.comX);
const COM_Y: Float64Array = Float64Array.from(BODY_GEOMS, (g) => g.comY);
const STIFFNESS: Float64Array = Float64Array.from(HINGES, (h) => h.stiffness);
const DAMPING: Float64Array = Float64Array.from(HINGES, (h) => h.damping);
const LOWER: Float64Array = Float64Array.from(HINGES, (h) => h.range[0]);
const UPPER: Float64Array = Float64Array.from(HINGES, (h) => h.range[1]);

/** Fields of matter 0.20.0 objects that its type declarations omit. */
interface MatterPairs {
  list: MatterPair[];
}
interface MatterPair {
  isActive: boolean;
  contactCount: number;
  contacts: SolverContact[];
  collision: Matter.Collision;
}
interface MatterVertex {
  x: number;
  y: number;
  index: number;
  body: Matter.Body;
}
/** matter's contact record, which also stores this solver's warm-start impulses. */
interface SolverContact {
  vertex: MatterVertex;
  normalImpulse: number;
  tangentImpulse: number;
  /** Warm-start impulse of the rolling-friction row; undefined until the solver first sees the contact. */
  rollingImpulse?: number;
  /** The vertex the stored impulses belong to; they are dropped when matter re-assigns the contact. */
  solverVertex?: MatterVertex;
}
interface MatterEngineInternals {
  detector: Matter.Detector;
  pairs: MatterPairs;
}

/** A part (polygon) of a cheetah body with its geometry, for placing it and for contact look-up. */
interface PartRef {
  readonly part: Matter.Body;
  readonly body: number;
  readonly poly: PolygonGeom;
  /** Capsule centre in the body's COM frame (px). */
  readonly cxPx: number;
  readonly cyPx: number;
  /** Edge normals at angle 0, for re-orienting matter's SAT axes. */
  readonly axes0: Float64Array;
}

/** Render-ready pose: metres, world frame with z up, angles as in the observation. */
export interface HalfCheetahRenderState {
  /** Body origins (joint positions; the torso's is its centre) and angles. */
  readonly bodies: readonly { name: string; x: number; z: number; angle: number }[];
  readonly capsules: readonly { body: string; x1: number; z1: number; x2: number; z2: number; radius: number }[];
  /** Height of the ground plane (m). */
  readonly groundZ: number;
}

/** A collision pair as matter reports it, by body label (for checks that parts only touch the ground). */
export interface ContactPairLabels {
  readonly a: string;
  readonly b: string;
}

/** Row kinds of the velocity and position solves. */
const ROW_NORMAL = 0;
const ROW_FRICTION = 1;
const ROW_LOWER = 2;
const ROW_UPPER = 3;
const ROW_ROLLING = 4;

/**
 * The half-cheetah's matter engine, bodies and solver state.
 *
 * Place it with {@link HalfCheetahPhysics.setGeneralized} (or start a new episode on the same instance
 * with {@link HalfCheetahPhysics.reset}); advance it with {@link HalfCheetahPhysics.step}.
 */
export class HalfCheetahPhysics {
  /** The matter engine holding the bodies; only its detector and pairs are used, never `Engine.update`. */
  readonly engine: Matter.Engine;
  readonly ground: Matter.Body;
  /** matter bodies in model order (the torso is a compound of two capsule parts). */
  readonly bodies: readonly Matter.Body[];

  /** Generalised coordinates [x, y (down), θ, q₁…q₆] of the torso origin and hinges, and their rates. */
  private readonly q = new Float64Array(NQ);
  private readonly v = new Float64Array(NQ);

  // Forward kinematics of `q`: body angles, their cos/sin, origins and COMs (world, solver frame).
  private readonly phi = new Float64Array(NUM_BODIES);
  private readonly cosPhi = new Float64Array(NUM_BODIES);
  private readonly sinPhi = new Float64Array(NUM_BODIES);
  private readonly ox = new Float64Array(NUM_BODIES);
  private readonly oy = new Float64Array(NUM_BODIES);
  private readonly cx = new Float64Array(NUM_BODIES);
  private readonly cy = new Float64Array(NUM_BODIES);

  // Dynamics scratch: mass matrix M, its damped version M̃ = M + dt·D (Cholesky-factored in
  // place), right-hand side, per-body accelerations and a point Jacobian.
  private readonly mass = new Float64Array(NQ * NQ);
  private readonly massTilde = new Float64Array(NQ * NQ);
  /** Reciprocals of the diagonal of M̃'s Cholesky factor (multiplying is cheaper than dividing). */
  private readonly invDiag = new Float64Array(NQ);
  private readonly rhs = new Float64Array(NQ);
  private readonly aox = new Float64Array(NUM_BODIES);
  private readonly aoy = new Float64Array(NUM_BODIES);
  private readonly jx = new Float64Array(NQ);
  private readonly jy = new Float64Array(NQ);
  private readonly dq = new Float64Array(NQ);
  /** A contact point in world coordinates (see contactPoint). */
  private readonly cp = new Float64Array(2);

  // Constraint rows: Jacobian J (9 each), Y = M̃⁻¹·Jᵀ, 1 / (J·Y), kind, bound, impulse, owner.
  private rowCap = 32;
  private rowCount = 0;
  private rowJ = new Float64Array(32 * NQ);
  private rowY = new Float64Array(32 * NQ);
  private rowInvA = new Float64Array(32);
  private rowKind = new Uint8Array(32);
  private rowBound = new Float64Array(32);
  private rowImpulse = new Float64Array(32);
  private rowOwner = new Int32Array(32);
  /** Limit impulses of the last substep, for warm starting. */
  private readonly lowerImpulse = new Float64Array(NUM_JOINTS);
  private readonly upperImpulse = new Float64Array(NUM_JOINTS);

  // Contacts found by the last detection: body, surface point in the body's COM frame, normal out of
  // the ground, offset n·x of the ground's face, and matter's record holding the impulses.
  private contactCount = 0;
  private cBody = new Int32Array(16);
  private cLocal = new Float64Array(32);
  private cNormal = new Float64Array(32);
  private cOffset = new Float64Array(16);
  private cRecord: SolverContact[] = [];

  private readonly parts: PartRef[] = [];
  /** The parts of each body, in matter's part order. */
  private readonly partsOfBody: PartRef[][] = [];
  /** Scratch of {@link groundCollisions}: bodies near the ground, and the collisions found. */
  private readonly nearBodies = new Int32Array(NUM_BODIES);
  private readonly collisions: Matter.Collision[] = [];
  private readonly partByBody = new Map<Matter.Body, PartRef>();
  private readonly groundVerts: Float64Array;
  private readonly internals: MatterEngineInternals;
  private timestamp = 0;

  constructor() {
    this.engine = Matter.Engine.create({
      enableSleeping: false,
      gravity: { x: 0, y: 0, scale: 0 },
    });
    this.internals = this.engine as unknown as MatterEngineInternals;
    // The ground is created first so it has the lower id, which makes it bodyA of every pair.
    this.ground = Matter.Bodies.rectangle(
      0,
      (GROUND_THICKNESS_M / 2) * PX_PER_M,
      2 * GROUND_HALF_WIDTH_M * PX_PER_M,
      GROUND_THICKNESS_M * PX_PER_M,
      { isStatic: true, friction: FRICTION, frictionAir: 0, restitution: 0, label: 'ground' },
    );
    this.groundVerts = Float64Array.from(this.ground.vertices.flatMap((vt) => [vt.x, vt.y]));

    const filter = { group: -1, category: 0x0001, mask: 0xffffffff };
    const bodies: Matter.Body[] = [];
    for (let b = 0; b < NUM_BODIES; b++) {
      const geom = BODY_GEOMS[b]!;
      const polys = POLYGONS[b]!;
      const partBodies = polys.map((poly, i) => {
        const cap = geom.capsules[i]!;
        const verts: { x: number; y: number }[] = [];
        for (let k = 0; k < poly.vertsPx.length; k += 2) verts.push({ x: poly.vertsPx[k]!, y: poly.vertsPx[k + 1]! });
        return Matter.Body.create({
          vertices: verts,
          position: { x: cap.cx * PX_PER_M, y: cap.cy * PX_PER_M },
          friction: FRICTION,
          frictionAir: 0,
          restitution: 0,
          collisionFilter: filter,
          label: polys.length > 1 ? `${BODY_NAMES[b]}/${i}` : BODY_NAMES[b],
        });
      });
      const body =
        partBodies.length === 1
          ? partBodies[0]!
          : Matter.Body.create({
              parts: [...partBodies], // matter re-uses and rewrites the array it is given
              friction: FRICTION,
              frictionAir: 0,
              restitution: 0,
              collisionFilter: filter,
              label: BODY_NAMES[b],
            });
      // This solver keeps its own mass properties; matter's are set to match (px units) because its
      // polygon inertia is off by a factor of 4 (pitfalls 3) and would mislead anyone reading them.
      Matter.Body.setMass(body, geom.mass);
      Matter.Body.setInertia(body, geom.inertia * PX_PER_M * PX_PER_M);
      const refs: PartRef[] = [];
      partBodies.forEach((part, i) => {
        const ref: PartRef = {
          part,
          body: b,
          poly: polys[i]!,
          cxPx: geom.capsules[i]!.cx * PX_PER_M,
          cyPx: geom.capsules[i]!.cy * PX_PER_M,
          axes0: Float64Array.from(part.axes.flatMap((a) => [a.x, a.y])),
        };
        this.parts.push(ref);
        refs.push(ref);
        this.partByBody.set(part, ref);
      });
      this.partsOfBody.push(refs);
      bodies.push(body);
    }
    this.bodies = bodies;
    Matter.Composite.add(this.engine.world, [this.ground, ...bodies]);
    Matter.Detector.setBodies(this.internals.detector, [this.ground, ...bodies]);
    this.setGeneralized(new Float64Array(NQ), new Float64Array(NQ));
  }

  /**
   * Starts a new episode on this instance: forgets every contact (matter's pairs, which hold the
   * warm-start impulses) and places the cheetah with {@link setGeneralized}. The result is bit-identical
   * to a new instance placed the same way, without the cost of building one.
   */
  reset(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    Matter.Pairs.clear(this.internals.pairs as unknown as Matter.Pairs);
    this.setGeneralized(qpos, qvel);
  }

  /**
   * Places the cheetah from MuJoCo generalised coordinates and detects its contacts: `qpos` =
   * [rootx, rootz, rooty, q₁…q₆] (rootz relative to {@link TORSO_HEIGHT}), `qvel` their rates.
   */
  setGeneralized(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    if (qpos.length !== NQ || qvel.length !== NQ) {
      throw new RangeError(`setGeneralized: qpos and qvel need ${NQ} entries, got ${qpos.length} and ${qvel.length}`);
    }
    for (let i = 0; i < NQ; i++) {
      if (!Number.isFinite(qpos[i]!) || !Number.isFinite(qvel[i]!)) {
        throw new RangeError(`setGeneralized: non-finite entry ${i}: qpos ${qpos[i]}, qvel ${qvel[i]}`);
      }
      this.q[i] = qpos[i]!;
      this.v[i] = qvel[i]!;
    }
    // MuJoCo's z is up, this solver's y is down.
    this.q[1] = -(TORSO_HEIGHT + qpos[1]!);
    this.v[1] = -qvel[1]!;
    this.lowerImpulse.fill(0);
    this.upperImpulse.fill(0);
    this.forwardKinematics();
    this.detectContacts();
  }

  /**
   * Advances one substep of {@link PHYSICS_DT} with hinge torques `torques` (N·m, actuator order,
   * +τ on the child, −τ on the parent).
   */
  step(torques: ArrayLike<number>): void {
    const dt = PHYSICS_DT;
    const { q, v } = this;

    // 1. Forces → velocities: M̃·v* = M·v + dt·(τ + g − h − K·q) with M̃ = M + dt·D, i.e. the damper
    // at the end of the step (implicit) and the spring at its start, as MuJoCo's Euler integrator does.
    // Taking the spring implicitly too would add dt²·k ≈ 0.02 kg·m² of inertia to each hinge, 15–20 % of
    // armature plus link; explicit is stable here (dt·√(k / (armature + link)) < 0.5).
    this.assembleDynamics();
    const rhs = this.rhs;
    const mass = this.mass;
    const mt = this.massTilde;
    for (let i = 0; i < NQ; i++) {
      let mv = 0;
      for (let k = 0; k < NQ; k++) mv += mass[i * NQ + k]! * v[k]!;
      rhs[i] = mv + dt * rhs[i]!;
    }
    mt.set(mass);
    for (let j = 0; j < NUM_JOINTS; j++) {
      const d = 3 + j;
      rhs[d] = rhs[d]! + dt * (torques[j]! - STIFFNESS[j]! * q[d]!);
      mt[d * NQ + d] = mt[d * NQ + d]! + dt * DAMPING[j]!;
    }
    choleskyInPlace(mt, this.invDiag);
    choleskySolve(mt, this.invDiag, rhs, 0, rhs, 0);
    v.set(rhs);

    // 2. Velocity solve of limits and contacts, warm-started.
    this.buildVelocityRows();
    for (let r = 0; r < this.rowCount; r++) this.applyRow(r, this.rowImpulse[r]!);
    for (let it = 0; it < VELOCITY_ITERATIONS; it++) this.sweepVelocityRows();
    this.storeImpulses();

    // 3. Integrate.
    for (let i = 0; i < NQ; i++) q[i] = q[i]! + dt * v[i]!;
    this.forwardKinematics();

    // 4. Contacts at the new pose, 5. positions out of penetration and limit violation.
    this.detectContacts();
    if (this.projectPositions()) this.forwardKinematics();
  }

  /** Body angles, origins and COMs from `q`. */
  private forwardKinematics(): void {
    const { q, phi, cosPhi, sinPhi, ox, oy, cx, cy } = this;
    phi[0] = q[2]!;
    ox[0] = q[0]!;
    oy[0] = q[1]!;
    for (let b = 0; b < NUM_BODIES; b++) {
      if (b > 0) {
        const p = PARENT[b]!;
        phi[b] = phi[p]! + q[2 + b]!;
        ox[b] = ox[p]! + cosPhi[p]! * LINK_X[b]! - sinPhi[p]! * LINK_Y[b]!;
        oy[b] = oy[p]! + sinPhi[p]! * LINK_X[b]! + cosPhi[p]! * LINK_Y[b]!;
      }
      const c = Math.cos(phi[b]!);
      const s = Math.sin(phi[b]!);
      cosPhi[b] = c;
      sinPhi[b] = s;
      cx[b] = ox[b]! + c * COM_X[b]! - s * COM_Y[b]!;
      cy[b] = oy[b]! + s * COM_X[b]! + c * COM_Y[b]!;
    }
  }

  /**
   * Jacobian of the world point (px, py) fixed to body b: its velocity is (jx·v, jy·v). Columns: root
   * slides, root rotation about the torso origin, and each hinge on the way to b about its joint.
   */
  private pointJacobian(b: number, px: number, py: number): void {
    const { jx, jy, ox, oy } = this;
    jx[0] = 1;
    jy[0] = 0;
    jx[1] = 0;
    jy[1] = 1;
    jx[2] = -(py - oy[0]!);
    jy[2] = px - ox[0]!;
    for (let j = 0; j < NUM_JOINTS; j++) {
      if (ON_PATH[b * NUM_JOINTS + j] === 1) {
        jx[3 + j] = -(py - oy[j + 1]!);
        jy[3 + j] = px - ox[j + 1]!;
      } else {
        jx[3 + j] = 0;
        jy[3 + j] = 0;
      }
    }
  }

  /**
   * Mass matrix M (with the hinge armature) into `mass`, and the generalised force of gravity minus
   * the Coriolis/centripetal terms, g − h, into `rhs`. h = Σ_b m_b·J_bᵀ·a_b with a_b the COM
   * acceleration at zero generalised acceleration; body angles are linear in q, so they add none.
   */
  private assembleDynamics(): void {
    const { mass, rhs, v, jx, jy, ox, oy, cx, cy, aox, aoy } = this;
    mass.fill(0);
    rhs.fill(0);
    for (let j = 0; j < NUM_JOINTS; j++) mass[(3 + j) * NQ + 3 + j] = ARMATURE;
    aox[0] = 0;
    aoy[0] = 0;
    for (let b = 0; b < NUM_BODIES; b++) {
      let omega = 0;
      for (let i = 2; i < NQ; i++) if (ANGULAR_J[b * NQ + i] === 1) omega += v[i]!;
      const w2 = omega * omega;
      if (b > 0) {
        const p = PARENT[b]!;
        // The parent's centripetal acceleration at this body's origin; the parent's ω is b's minus b's hinge rate.
        const wp = omega - v[2 + b]!;
        aox[b] = aox[p]! - wp * wp * (ox[b]! - ox[p]!);
        aoy[b] = aoy[p]! - wp * wp * (oy[b]! - oy[p]!);
      }
      const ax = aox[b]! - w2 * (cx[b]! - ox[b]!);
      const ay = aoy[b]! - w2 * (cy[b]! - oy[b]!);
      this.pointJacobian(b, cx[b]!, cy[b]!);
      const m = MASS[b]!;
      const inertia = INERTIA[b]!;
      const ang = b * NQ;
      // Only the columns that move b: the others' Jacobian entries are zero and would add nothing.
      const cols = BODY_COLS[b]!;
      for (let ci = 0; ci < cols.length; ci++) {
        const i = cols[ci]!;
        const xi = jx[i]!;
        const yi = jy[i]!;
        const ri = ANGULAR_J[ang + i]!;
        rhs[i] = rhs[i]! + m * (yi * GRAVITY - xi * ax - yi * ay);
        for (let ck = 0; ck <= ci; ck++) {
          const k = cols[ck]!;
          mass[i * NQ + k] = mass[i * NQ + k]! + m * (xi * jx[k]! + yi * jy[k]!) + inertia * ri * ANGULAR_J[ang + k]!;
        }
      }
    }
    for (let i = 0; i < NQ; i++) for (let k = 0; k < i; k++) mass[k * NQ + i] = mass[i * NQ + k]!;
  }

  /** Adds the row whose Jacobian was written at `rowJ[rowCount·9…]`, computing Y = M̃⁻¹·Jᵀ and 1/(J·Y). */
  private addRow(kind: number, owner: number, bound: number, impulse: number): number {
    if (this.rowCount === this.rowCap) this.growRows();
    const r = this.rowCount++;
    const o = r * NQ;
    const J = this.rowJ;
    const Y = this.rowY;
    choleskySolve(this.massTilde, this.invDiag, J, o, Y, o);
    let a = 0;
    for (let i = 0; i < NQ; i++) a += J[o + i]! * Y[o + i]!;
    this.rowInvA[r] = 1 / a;
    this.rowKind[r] = kind;
    this.rowOwner[r] = owner;
    this.rowBound[r] = bound;
    this.rowImpulse[r] = impulse;
    return r;
  }

  /**
   * Rows of the velocity solve: per contact a friction, a normal and a rolling-friction row, and limits
   * near their bounds.
   */
  private buildVelocityRows(): void {
    const dt = PHYSICS_DT;
    const { q, v, jx, jy, cp } = this;
    this.rowCount = 0;
    for (let i = 0; i < this.contactCount; i++) {
      const b = this.cBody[i]!;
      const sep = this.contactPoint(i);
      const nx = this.cNormal[2 * i]!;
      const ny = this.cNormal[2 * i + 1]!;
      this.pointJacobian(b, cp[0]!, cp[1]!);
      const rec = this.cRecord[i]!;
      // Friction before the normal row, as Box2D orders them; tangent t = (−n_y, n_x).
      if (this.rowCount + 2 > this.rowCap) this.growRows();
      let o = this.rowCount * NQ;
      for (let k = 0; k < NQ; k++) this.rowJ[o + k] = -ny * jx[k]! + nx * jy[k]!;
      this.addRow(ROW_FRICTION, i, 0, rec.tangentImpulse);
      o = this.rowCount * NQ;
      for (let k = 0; k < NQ; k++) this.rowJ[o + k] = nx * jx[k]! + ny * jy[k]!;
      // Speculative: an open gap may close within this step; penetration is left to the position pass.
      this.addRow(ROW_NORMAL, i, sep > 0 ? -sep / dt : 0, rec.normalImpulse);
      // Rolling friction: the contacting body's angular velocity (the ground does not turn).
      if (this.rowCount === this.rowCap) this.growRows();
      o = this.rowCount * NQ;
      for (let k = 0; k < NQ; k++) this.rowJ[o + k] = ANGULAR_J[b * NQ + k]!;
      this.addRow(ROW_ROLLING, i, 0, rec.rollingImpulse ?? 0);
    }
    for (let j = 0; j < NUM_JOINTS; j++) {
      const qj = q[3 + j]!;
      const predicted = qj + dt * v[3 + j]!;
      let lowerImpulse = 0;
      let upperImpulse = 0;
      if (Math.min(qj, predicted) < LOWER[j]! + LIMIT_WINDOW) {
        lowerImpulse = this.lowerImpulse[j]!;
        this.addLimitRow(ROW_LOWER, j, qj > LOWER[j]! ? (LOWER[j]! - qj) / dt : 0, lowerImpulse);
      }
      if (Math.max(qj, predicted) > UPPER[j]! - LIMIT_WINDOW) {
        upperImpulse = this.upperImpulse[j]!;
        this.addLimitRow(ROW_UPPER, j, qj < UPPER[j]! ? (UPPER[j]! - qj) / dt : 0, upperImpulse);
      }
      this.lowerImpulse[j] = lowerImpulse;
      this.upperImpulse[j] = upperImpulse;
    }
  }

  /** Adds a row on joint j's own coordinate (its Jacobian is the unit vector of q[3 + j]). */
  private addLimitRow(kind: number, j: number, bound: number, impulse: number): void {
    if (this.rowCount === this.rowCap) this.growRows();
    const o = this.rowCount * NQ;
    for (let k = 0; k < NQ; k++) this.rowJ[o + k] = 0;
    this.rowJ[o + 3 + j] = 1;
    this.addRow(kind, j, bound, impulse);
  }

  /**
   * Contact i's point (fixed on its body) in world coordinates at the current q, written to `cp`;
   * returns its separation along the contact normal from the ground surface (negative: penetrating).
   */
  private contactPoint(i: number): number {
    const b = this.cBody[i]!;
    const lx = this.cLocal[2 * i]!;
    const ly = this.cLocal[2 * i + 1]!;
    const px = this.cx[b]! + this.cosPhi[b]! * lx - this.sinPhi[b]! * ly;
    const py = this.cy[b]! + this.sinPhi[b]! * lx + this.cosPhi[b]! * ly;
    this.cp[0] = px;
    this.cp[1] = py;
    return this.cNormal[2 * i]! * px + this.cNormal[2 * i + 1]! * py - this.cOffset[i]!;
  }

  // The two hot loops of the solve, written out for NQ = 9 (same operation order as a loop).

  /** v += Y_r·dλ. */
  private applyRow(r: number, dLambda: number): void {
    if (dLambda === 0) return;
    const { v, rowY } = this;
    const o = r * NQ;
    v[0] = v[0]! + rowY[o]! * dLambda;
    v[1] = v[1]! + rowY[o + 1]! * dLambda;
    v[2] = v[2]! + rowY[o + 2]! * dLambda;
    v[3] = v[3]! + rowY[o + 3]! * dLambda;
    v[4] = v[4]! + rowY[o + 4]! * dLambda;
    v[5] = v[5]! + rowY[o + 5]! * dLambda;
    v[6] = v[6]! + rowY[o + 6]! * dLambda;
    v[7] = v[7]! + rowY[o + 7]! * dLambda;
    v[8] = v[8]! + rowY[o + 8]! * dLambda;
  }

  /** J_r·v. */
  private rowVelocity(r: number): number {
    const { v, rowJ } = this;
    const o = r * NQ;
    let s = 0;
    s += rowJ[o]! * v[0]!;
    s += rowJ[o + 1]! * v[1]!;
    s += rowJ[o + 2]! * v[2]!;
    s += rowJ[o + 3]! * v[3]!;
    s += rowJ[o + 4]! * v[4]!;
    s += rowJ[o + 5]! * v[5]!;
    s += rowJ[o + 6]! * v[6]!;
    s += rowJ[o + 7]! * v[7]!;
    s += rowJ[o + 8]! * v[8]!;
    return s;
  }

  /** One projected Gauss–Seidel sweep over the velocity rows. */
  private sweepVelocityRows(): void {
    const { rowKind, rowBound, rowImpulse, rowInvA } = this;
    for (let r = 0; r < this.rowCount; r++) {
      const vel = this.rowVelocity(r);
      const old = rowImpulse[r]!;
      let next: number;
      switch (rowKind[r]) {
        case ROW_FRICTION: {
          // Coulomb: |λ_t| ≤ μ·λ_n, with λ_n the normal row that follows this one.
          const maxF = FRICTION * rowImpulse[r + 1]!;
          next = Math.min(Math.max(old - vel * rowInvA[r]!, -maxF), maxF);
          break;
        }
        case ROW_ROLLING: {
          const maxR = ROLLING_FRICTION * rowImpulse[r - 1]!;
          next = Math.min(Math.max(old - vel * rowInvA[r]!, -maxR), maxR);
          break;
        }
        case ROW_NORMAL:
        case ROW_LOWER:
          next = Math.max(old + (rowBound[r]! - vel) * rowInvA[r]!, 0);
          break;
        default:
          next = Math.min(old + (rowBound[r]! - vel) * rowInvA[r]!, 0);
      }
      rowImpulse[r] = next;
      this.applyRow(r, next - old);
    }
  }

  /** Keeps the solved impulses for the next substep's warm start. */
  private storeImpulses(): void {
    for (let r = 0; r < this.rowCount; r++) {
      const owner = this.rowOwner[r]!;
      const lambda = this.rowImpulse[r]!;
      switch (this.rowKind[r]) {
        case ROW_FRICTION:
          this.cRecord[owner]!.tangentImpulse = lambda;
          break;
        case ROW_NORMAL:
          this.cRecord[owner]!.normalImpulse = lambda;
          break;
        case ROW_ROLLING:
          this.cRecord[owner]!.rollingImpulse = lambda;
          break;
        case ROW_LOWER:
          this.lowerImpulse[owner] = lambda;
          break;
        default:
          this.upperImpulse[owner] = lambda;
      }
    }
  }

  /**
   * Moves q out of penetration and limit violation without touching v: the smallest M̃-weighted
   * correction Δq with J·Δq ≥ b for each violated row (Box2D's Baumgarte fraction and slop for contacts,
   * a clamped full correction for limits), found by projected Gauss–Seidel on rows linearised at q.
   * Returns whether q changed (false when nothing penetrates or violates a limit).
   */
  private projectPositions(): boolean {
    const { q, jx, jy, cp, dq } = this;
    this.rowCount = 0;
    for (let i = 0; i < this.contactCount; i++) {
      const sep = this.contactPoint(i);
      if (sep >= -LINEAR_SLOP) continue;
      const nx = this.cNormal[2 * i]!;
      const ny = this.cNormal[2 * i + 1]!;
      this.pointJacobian(this.cBody[i]!, cp[0]!, cp[1]!);
      if (this.rowCount === this.rowCap) this.growRows();
      const o = this.rowCount * NQ;
      for (let k = 0; k < NQ; k++) this.rowJ[o + k] = nx * jx[k]! + ny * jy[k]!;
      const depth = Math.min(-CONTACT_BAUMGARTE * (sep + LINEAR_SLOP), MAX_LINEAR_CORRECTION);
      this.addRow(ROW_NORMAL, i, depth, 0);
    }
    for (let j = 0; j < NUM_JOINTS; j++) {
      const qj = q[3 + j]!;
      if (qj < LOWER[j]! - ANGULAR_SLOP) {
        this.addLimitRow(ROW_LOWER, j, Math.min(LOWER[j]! - ANGULAR_SLOP - qj, MAX_ANGULAR_CORRECTION), 0);
      } else if (qj > UPPER[j]! + ANGULAR_SLOP) {
        this.addLimitRow(ROW_UPPER, j, Math.max(UPPER[j]! + ANGULAR_SLOP - qj, -MAX_ANGULAR_CORRECTION), 0);
      }
    }
    if (this.rowCount === 0) return false;
    dq.fill(0);
    const { rowJ, rowY, rowKind, rowBound, rowImpulse, rowInvA } = this;
    for (let it = 0; it < POSITION_ITERATIONS; it++) {
      for (let r = 0; r < this.rowCount; r++) {
        const o = r * NQ;
        let s = 0;
        for (let k = 0; k < NQ; k++) s += rowJ[o + k]! * dq[k]!;
        const old = rowImpulse[r]!;
        const raw = old + (rowBound[r]! - s) * rowInvA[r]!;
        const next = rowKind[r] === ROW_UPPER ? Math.min(raw, 0) : Math.max(raw, 0);
        rowImpulse[r] = next;
        const d = next - old;
        if (d !== 0) for (let k = 0; k < NQ; k++) dq[k] = dq[k]! + rowY[o + k]! * d;
      }
    }
    for (let k = 0; k < NQ; k++) q[k] = q[k]! + dq[k]!;
    return true;
  }

  private growRows(): void {
    const cap = this.rowCap * 2;
    const grow = <T extends Float64Array | Uint8Array | Int32Array>(a: T, len: number): T => {
      const out = new (a.constructor as new (n: number) => T)(len);
      out.set(a);
      return out;
    };
    this.rowJ = grow(this.rowJ, cap * NQ);
    this.rowY = grow(this.rowY, cap * NQ);
    this.rowInvA = grow(this.rowInvA, cap);
    this.rowKind = grow(this.rowKind, cap);
    this.rowBound = grow(this.rowBound, cap);
    this.rowImpulse = grow(this.rowImpulse, cap);
    this.rowOwner = grow(this.rowOwner, cap);
    this.rowCap = cap;
  }

  /** Writes body b's current pose into its matter parts (vertices, axes, bounds, positions). */
  private syncBody(b: number): void {
    const c = this.cosPhi[b]!;
    const s = this.sinPhi[b]!;
    const X = this.cx[b]! * PX_PER_M;
    const Y = this.cy[b]! * PX_PER_M;
    const refs = this.partsOfBody[b]!;
    for (let r = 0; r < refs.length; r++) {
      const ref = refs[r]!;
      const part = ref.part;
      const verts = part.vertices;
      const lv = ref.poly.vertsPx;
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      for (let k = 0; k < verts.length; k++) {
        const lx = lv[2 * k]!;
        const ly = lv[2 * k + 1]!;
        const x = X + c * lx - s * ly;
        const y = Y + s * lx + c * ly;
        const vt = verts[k]!;
        vt.x = x;
        vt.y = y;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
      const axes = part.axes;
      const a0 = ref.axes0;
      for (let k = 0; k < axes.length; k++) {
        const ax = a0[2 * k]!;
        const ay = a0[2 * k + 1]!;
        axes[k]!.x = c * ax - s * ay;
        axes[k]!.y = s * ax + c * ay;
      }
      part.bounds.min.x = minX;
      part.bounds.min.y = minY;
      part.bounds.max.x = maxX;
      part.bounds.max.y = maxY;
      part.position.x = X + c * ref.cxPx - s * ref.cyPx;
      part.position.y = Y + s * ref.cxPx + c * ref.cyPx;
      part.angle = this.phi[b]!;
    }
    const body = this.bodies[b]!;
    if (body.parts.length === 1) return;
    // Compound: the parent's bounds cover the parts (matter's broad phase and sort key read them).
    const bd = body.bounds;
    bd.min.x = Infinity;
    bd.min.y = Infinity;
    bd.max.x = -Infinity;
    bd.max.y = -Infinity;
    for (let k = 1; k < body.parts.length; k++) {
      const pb = body.parts[k]!.bounds;
      if (pb.min.x < bd.min.x) bd.min.x = pb.min.x;
      if (pb.min.y < bd.min.y) bd.min.y = pb.min.y;
      if (pb.max.x > bd.max.x) bd.max.x = pb.max.x;
      if (pb.max.y > bd.max.y) bd.max.y = pb.max.y;
    }
    body.position.x = X;
    body.position.y = Y;
    body.angle = this.phi[b]!;
  }

  /**
   * The collisions matter's `Detector.collisions` would return, found faster by using what it cannot
   * know: the parts never collide with each other (one negative collision group), so only part–ground
   * pairs are tested, and a body whose inflated capsules lie wholly above the ground cannot touch it, so
   * its matter parts are not even moved (their matter poses go stale until it comes down again; nothing
   * reads them). The order is matter's: bodies by their bounds' min x (the ground, with the smallest,
   * is always bodyA), parts in order; ties, which matter leaves to its previous sort, go by body index.
   */
  private groundCollisions(): Matter.Collision[] {
    const { cy, cosPhi, sinPhi, nearBodies, collisions, bodies, ground } = this;
    const pairs = this.internals.pairs as unknown as Matter.Pairs;
    let nNear = 0;
    for (let b = 0; b < NUM_BODIES; b++) {
      const caps = BODY_GEOMS[b]!.capsules;
      const c = cosPhi[b]!;
      const s = sinPhi[b]!;
      let lowest = -Infinity;
      for (let k = 0; k < caps.length; k++) {
        const cap = caps[k]!;
        lowest = Math.max(lowest, cy[b]! + s * cap.x1 + c * cap.y1, cy[b]! + s * cap.x2 + c * cap.y2);
      }
      // y is down and the ground's top is y = 0; the polygon lies within the inflated radius of the segment.
      if (lowest + CAPSULE_RADIUS + SPECULATIVE_MARGIN < -1e-6) continue;
      this.syncBody(b);
      // Insertion by (bounds.min.x, index), as the candidates arrive in index order.
      const key = bodies[b]!.bounds.min.x;
      let i = nNear++;
      while (i > 0 && bodies[nearBodies[i - 1]!]!.bounds.min.x > key) {
        nearBodies[i] = nearBodies[i - 1]!;
        i--;
      }
      nearBodies[i] = b;
    }
    let n = 0;
    const groundMinY = ground.bounds.min.y;
    for (let i = 0; i < nNear; i++) {
      const body = bodies[nearBodies[i]!]!;
      if (body.bounds.max.y < groundMinY) continue;
      const parts = body.parts;
      for (let k = parts.length > 1 ? 1 : 0; k < parts.length; k++) {
        const part = parts[k]!;
        if (part.bounds.max.y < groundMinY) continue;
        const collision = Matter.Collision.collides(ground, part, pairs);
        if (collision) collisions[n++] = collision;
      }
    }
    collisions.length = n;
    return collisions;
  }

  /** Runs matter's detector and pair update, then gathers the contacts the solver will use. */
  private detectContacts(): void {
    const collisions = this.groundCollisions();
    const pairs = this.internals.pairs;
    this.timestamp += 1;
    Matter.Pairs.update(pairs as unknown as Matter.Pairs, collisions, this.timestamp);

    let n = 0;
    const gv = this.groundVerts;
    for (const pair of pairs.list) {
      if (!pair.isActive) continue;
      const col = pair.collision;
      let part: Matter.Body;
      // matter 0.20.0 orients `collision.normal` from bodyB towards bodyA (its doc comment says otherwise).
      let nx = col.normal.x;
      let ny = col.normal.y;
      if (col.parentA === this.ground) {
        part = col.bodyB;
        nx = -nx;
        ny = -ny;
      } else if (col.parentB === this.ground) {
        part = col.bodyA;
      } else {
        throw new Error(`half-cheetah: unexpected contact between ${col.bodyA.label} and ${col.bodyB.label}`);
      }
      const ref = this.partByBody.get(part);
      if (ref === undefined) throw new Error(`half-cheetah: contact with unknown part ${part.label}`);
      // The ground face the normal points out of: the farthest ground vertex along n.
      let off = -Infinity;
      for (let k = 0; k < gv.length; k += 2) off = Math.max(off, nx * gv[k]! + ny * gv[k + 1]!);
      off /= PX_PER_M;
      for (let k = 0; k < pair.contactCount; k++) {
        const rec = pair.contacts[k]!;
        const vtx = rec.vertex;
        // A ground corner inside a capsule would need another contact model; the ground is far too wide for that.
        if (vtx.body !== part) continue;
        if (rec.solverVertex !== vtx) {
          rec.solverVertex = vtx;
          rec.normalImpulse = 0;
          rec.tangentImpulse = 0;
          rec.rollingImpulse = 0;
        }
        if (n === this.cBody.length) this.growContacts();
        const surf = ref.poly.surface;
        this.cBody[n] = ref.body;
        this.cLocal[2 * n] = surf[2 * vtx.index]!;
        this.cLocal[2 * n + 1] = surf[2 * vtx.index + 1]!;
        this.cNormal[2 * n] = nx;
        this.cNormal[2 * n + 1] = ny;
        this.cOffset[n] = off;
        this.cRecord[n] = rec;
        n++;
      }
    }
    this.contactCount = n;
    this.cRecord.length = n;
  }

  private growContacts(): void {
    const cap = this.cBody.length * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, len: number): T => {
      const out = new (a.constructor as new (n: number) => T)(len);
      out.set(a);
      return out;
    };
    this.cBody = grow(this.cBody, cap);
    this.cLocal = grow(this.cLocal, 2 * cap);
    this.cNormal = grow(this.cNormal, 2 * cap);
    this.cOffset = grow(this.cOffset, cap);
  }

  // ---- Read-out ----

  /** World x of the torso origin (the MuJoCo rootx slide), m. */
  torsoX(): number {
    return this.q[0]!;
  }

  /**
   * The state as MuJoCo generalised coordinates: `qpos` = [rootx, rootz, rooty, q₁…q₆] (rootz relative
   * to {@link TORSO_HEIGHT}, z up) and `qvel` their rates.
   */
  getGeneralized(qpos: Float64Array, qvel: Float64Array): void {
    qpos.set(this.q);
    qvel.set(this.v);
    qpos[1] = -this.q[1]! - TORSO_HEIGHT;
    qvel[1] = -this.v[1]!;
  }

  /**
   * Largest distance (m) between a hinge's anchor on the parent and on the child, from the body poses
   * (those handed to matter for the bodies near the ground). Generalised coordinates make it zero up to
   * rounding; this checks those poses.
   */
  maxPivotSeparation(): number {
    let worst = 0;
    for (let b = 1; b < NUM_BODIES; b++) {
      const p = PARENT[b]!;
      // Anchor on the parent: its COM pose plus the link offset; on the child: its COM pose minus its COM offset.
      const [ax, ay] = this.worldPoint(p, LINK_X[b]! - COM_X[p]!, LINK_Y[b]! - COM_Y[p]!);
      const [bx, by] = this.worldPoint(b, -COM_X[b]!, -COM_Y[b]!);
      worst = Math.max(worst, Math.hypot(bx - ax, by - ay));
    }
    return worst;
  }

  /** Largest excursion (rad) of any hinge beyond its range; 0 when all are inside. */
  maxLimitOvershoot(): number {
    let worst = 0;
    for (let j = 0; j < NUM_JOINTS; j++) {
      const qj = this.q[3 + j]!;
      worst = Math.max(worst, LOWER[j]! - qj, qj - UPPER[j]!);
    }
    return worst;
  }

  /** The collision pairs matter currently holds, by body label. */
  contactPairs(): ContactPairLabels[] {
    return this.internals.pairs.list
      .filter((p) => p.isActive)
      .map((p) => ({ a: p.collision.parentA.label, b: p.collision.parentB.label }));
  }

  /** Height of the lowest capsule surface point above the ground (m); negative when penetrating. */
  minClearance(): number {
    // y is down, so the lowest point has the largest y.
    let deepest = -Infinity;
    for (let b = 0; b < NUM_BODIES; b++) {
      for (const cap of BODY_GEOMS[b]!.capsules) {
        deepest = Math.max(deepest, this.worldPoint(b, cap.x1, cap.y1)[1], this.worldPoint(b, cap.x2, cap.y2)[1]);
      }
    }
    return -deepest - CAPSULE_RADIUS;
  }

  /** Pose for drawing: body origins and angles, capsule end points, in metres with z up. */
  renderState(): HalfCheetahRenderState {
    const bodies = [];
    const capsules = [];
    for (let b = 0; b < NUM_BODIES; b++) {
      bodies.push({ name: BODY_NAMES[b]!, x: this.ox[b]!, z: -this.oy[b]!, angle: this.phi[b]! });
      for (const cap of BODY_GEOMS[b]!.capsules) {
        const [x1, y1] = this.worldPoint(b, cap.x1, cap.y1);
        const [x2, y2] = this.worldPoint(b, cap.x2, cap.y2);
        capsules.push({ body: BODY_NAMES[b]!, x1, z1: -y1, x2, z2: -y2, radius: CAPSULE_RADIUS });
      }
    }
    return { bodies, capsules, groundZ: 0 };
  }

  /** World point (solver frame) of a point given in body b's COM frame. */
  private worldPoint(b: number, lx: number, ly: number): [number, number] {
    const c = this.cosPhi[b]!;
    const s = this.sinPhi[b]!;
    return [this.cx[b]! + c * lx - s * ly, this.cy[b]! + s * lx + c * ly];
  }
}

/**
 * In-place Cholesky factorisation of a symmetric positive-definite NQ×NQ matrix (lower triangle = L),
 * with the reciprocals of L's diagonal into `invDiag`.
 */
function choleskyInPlace(a: Float64Array, invDiag: Float64Array): void {
  for (let j = 0; j < NQ; j++) {
    let d = a[j * NQ + j]!;
    for (let k = 0; k < j; k++) d -= a[j * NQ + k]! * a[j * NQ + k]!;
    if (!(d > 0)) throw new Error(`half-cheetah: mass matrix not positive definite (pivot ${j}: ${d})`);
    const l = Math.sqrt(d);
    const il = 1 / l;
    a[j * NQ + j] = l;
    invDiag[j] = il;
    for (let i = j + 1; i < NQ; i++) {
      let s = a[i * NQ + j]!;
      for (let k = 0; k < j; k++) s -= a[i * NQ + k]! * a[j * NQ + k]!;
      a[i * NQ + j] = s * il;
    }
  }
}

/**
 * Solves (L·Lᵀ)·x = b for the 9-vectors at `b[bOff…bOff+8]` and `x[xOff…xOff+8]` (which may be the same
 * place), with L and 1/diag(L) from {@link choleskyInPlace}: forward then backward substitution, written
 * out for NQ = 9 (the operation order of the loops `s -= l[i][k]·x[k]` for ascending k).
 */
function choleskySolve(l: Float64Array, invDiag: Float64Array, b: Float64Array, bOff: number, x: Float64Array, xOff: number): void {
  const y0 = b[bOff]! * invDiag[0]!;
  const y1 = (b[bOff + 1]! - l[9]! * y0) * invDiag[1]!;
  const y2 = (b[bOff + 2]! - l[18]! * y0 - l[19]! * y1) * invDiag[2]!;
  const y3 = (b[bOff + 3]! - l[27]! * y0 - l[28]! * y1 - l[29]! * y2) * invDiag[3]!;
  const y4 = (b[bOff + 4]! - l[36]! * y0 - l[37]! * y1 - l[38]! * y2 - l[39]! * y3) * invDiag[4]!;
  const y5 = (b[bOff + 5]! - l[45]! * y0 - l[46]! * y1 - l[47]! * y2 - l[48]! * y3 - l[49]! * y4) * invDiag[5]!;
  const y6 = (b[bOff + 6]! - l[54]! * y0 - l[55]! * y1 - l[56]! * y2 - l[57]! * y3 - l[58]! * y4 - l[59]! * y5) * invDiag[6]!;
  const y7 = (b[bOff + 7]! - l[63]! * y0 - l[64]! * y1 - l[65]! * y2 - l[66]! * y3 - l[67]! * y4 - l[68]! * y5 - l[69]! * y6) * invDiag[7]!;
  const y8 = (b[bOff + 8]! - l[72]! * y0 - l[73]! * y1 - l[74]! * y2 - l[75]! * y3 - l[76]! * y4 - l[77]! * y5 - l[78]! * y6 - l[79]! * y7) * invDiag[8]!;
  const z8 = y8 * invDiag[8]!;
  const z7 = (y7 - l[79]! * z8) * invDiag[7]!;
  const z6 = (y6 - l[69]! * z7 - l[78]! * z8) * invDiag[6]!;
  const z5 = (y5 - l[59]! * z6 - l[68]! * z7 - l[77]! * z8) * invDiag[5]!;
  const z4 = (y4 - l[49]! * z5 - l[58]! * z6 - l[67]! * z7 - l[76]! * z8) * invDiag[4]!;
  const z3 = (y3 - l[39]! * z4 - l[48]! * z5 - l[57]! * z6 - l[66]! * z7 - l[75]! * z8) * invDiag[3]!;
  const z2 = (y2 - l[29]! * z3 - l[38]! * z4 - l[47]! * z5 - l[56]! * z6 - l[65]! * z7 - l[74]! * z8) * invDiag[2]!;
  const z1 = (y1 - l[19]! * z2 - l[28]! * z3 - l[37]! * z4 - l[46]! * z5 - l[55]! * z6 - l[64]! * z7 - l[73]! * z8) * invDiag[1]!;
  const z0 = (y0 - l[9]! * z1 - l[18]! * z2 - l[27]! * z3 - l[36]! * z4 - l[45]! * z5 - l[54]! * z6 - l[63]! * z7 - l[72]! * z8) * invDiag[0]!;
  x[xOff] = z0;
  x[xOff + 1] = z1;
  x[xOff + 2] = z2;
  x[xOff + 3] = z3;
  x[xOff + 4] = z4;
  x[xOff + 5] = z5;
  x[xOff + 6] = z6;
  x[xOff + 7] = z7;
  x[xOff + 8] = z8;
}
