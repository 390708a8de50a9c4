import seedrandom from 'seedrandom';

/**
 * The seed the held-out test tasks are drawn from (`metarl evaluate` and `metarl compare` by
 * default); training streams are keyed differently too. Checkpoints are picked on other seeds
 * (`selectCheckpoint` refuses this one).
 */
export const TEST_SEED = 20170309;

/** A coordinate of a derived random stream: a name or an integer index. */
export type StreamKey = string | number;

/**
 * A seeded pseudo-random stream (ARC4 via `seedrandom`).
 *
 * Streams are derived from logical coordinates with {@link Rng.fork}, never from
 * worker ids or call order, so a result depends only on the root seed and on where
 * in the algorithm a number is drawn (`rng.fork('env', iteration, task, episode)`).
 */
export class Rng {
  private readonly prng: seedrandom.PRNG;
  private spareNormal: number | undefined;
  readonly key: string;

  /**
   * @param key the stream's full key (root seed plus coordinates), see {@link createRng}.
   */
  constructor(key: string) {
    this.key = key;
    this.prng = seedrandom(key, { state: true });
  }

  /** A child stream named by coordinates; independent of how much of this stream was used. */
  fork(...coords: StreamKey[]): Rng {
    for (const c of coords) {
      if (typeof c === 'number' && !Number.isInteger(c)) {
        throw new RangeError(`Rng.fork: coordinate must be a string or an integer, got ${c}`);
      }
    }
    return new Rng(`${this.key}/${coords.join('/')}`);
  }

  /** Uniform float in [0, 1). */
  uniform(): number {
    return this.prng.double();
  }

  /** Uniform float in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.prng.double();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.prng.double() * n);
  }

  /** Standard normal sample (Box–Muller, the second value cached). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with standard normal samples and returns it. */
  normals(out: Float32Array | Float64Array): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** A uniformly random permutation of 0…n−1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /** A 31-bit integer seed, for APIs that take a number (`env.reset({ seed })`). */
  seed(): number {
    return Math.floor(this.prng.double() * 0x7fffffff);
  }
}

/** The root stream of a run. `seed` must be a non-negative safe integer. */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative integer, got ${typeof seed === 'string' ? `the string ${JSON.stringify(seed)}` : seed}`);
  }
  return new Rng(`metarl:${seed}`);
}
