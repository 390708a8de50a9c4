/**
 * The checkpoint format (`model.json` + `weights.bin`, see ./checkpoint.ts) as pure functions on
 * text and bytes: parse, verify the SHA-256 of the weights, split them into parameter arrays.
 *
 * No node:fs, no node:crypto: this is what the browser demo loads a trained run with. The SHA-256
 * is computed in plain JS (FIPS 180-4) so verification is synchronous and works on plain-http
 * pages too, where `crypto.subtle` is missing.
 */
import type { TrainConfig } from './config.ts';
import type { ParamValues } from './policy.ts';

/** `model.json` of a checkpoint: everything but the weights, which are in `weights.bin`. */
export interface CheckpointMeta {
  format: 'metarl-checkpoint';
  formatVersion: 1;
  /** Completed meta-iterations; training resumes at this iteration index. */
  iteration: number;
  config: TrainConfig;
  obsDim: number;
  actDim: number;
  /** Shape of each parameter tensor, in order; weights.bin holds them back to back as float32 LE. */
  shapes: number[][];
  /** Random state: every stream is derived from the root seed and the iteration, so these suffice. */
  rng: { seed: number; nextIteration: number };
  weightsSha256: string;
  versions: Record<string, string>;
  /** Present when `optimizer.bin` (float64 m then v) holds an optimizer's state. */
  optimizer?: { t: number; size: number; sha256: string };
  /** The data files the env read (envs that read some, such as Omniglot): where from, and their SHA-256. */
  data?: { source: string; sha256: string };
}

/** Adam's state (supervised meta-learners), saved beside the weights so a resume is exact. */
export interface OptimizerState {
  t: number;
  m: Float64Array;
  v: Float64Array;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  meta: CheckpointMeta;
  params: ParamValues;
  optimizer?: OptimizerState | undefined;
}

/** A checkpoint that cannot be parsed or fails verification; names the file and what is wrong. */
export class CheckpointFormatError extends Error {
  readonly path: string;

  /**
   * @param path the checkpoint file (or directory) at fault.
   * @param reason what is wrong with it, as the message shows it after the path.
   */
  constructor(
    path: string,
    reason: string,
  ) {
    super(`checkpoint ${path}: ${reason}`);
    this.path = path;
    this.name = 'CheckpointFormatError';
  }
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 of `bytes` as lowercase hex (FIPS 180-4). */
export function sha256Hex(bytes: Uint8Array): string {
  const len = bytes.length;
  // Message + 0x80 + zero padding + 64-bit big-endian bit length, a multiple of 64 bytes.
  const padded = new Uint8Array((((len + 8) >> 6) + 1) << 6);
  padded.set(bytes);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(len / 0x20000000), false);
  view.setUint32(padded.length - 4, (len << 3) >>> 0, false);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + 4 * i, false);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!];
    for (let i = 0; i < 64; i++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + s1 + ch + K[i]! + w[i]!) >>> 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + b;
    h[2] = h[2]! + c;
    h[3] = h[3]! + d;
    h[4] = h[4]! + e;
    h[5] = h[5]! + f;
    h[6] = h[6]! + g;
    h[7] = h[7]! + hh;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, '0')).join('');
}

/** Parses and checks the text of a `model.json`. */
export function parseCheckpointMeta(text: string, path = 'model.json'): CheckpointMeta {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(text) as CheckpointMeta;
  } catch (e) {
    throw new CheckpointFormatError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (meta?.format !== 'metarl-checkpoint' || meta.formatVersion !== 1) {
    throw new CheckpointFormatError(path, `unknown format ${JSON.stringify(meta?.format)} version ${JSON.stringify(meta?.formatVersion)}`);
  }
  if (!Array.isArray(meta.shapes) || !meta.shapes.every((s) => Array.isArray(s) && s.every((d) => Number.isInteger(d) && d > 0))) {
    throw new CheckpointFormatError(path, 'missing or invalid shapes');
  }
  if (!Number.isInteger(meta.iteration) || meta.iteration < 0) throw new CheckpointFormatError(path, `invalid iteration ${JSON.stringify(meta.iteration)}`);
  if (!Number.isInteger(meta.obsDim) || !Number.isInteger(meta.actDim)) throw new CheckpointFormatError(path, 'missing obsDim or actDim');
  if (typeof meta.weightsSha256 !== 'string') throw new CheckpointFormatError(path, 'missing weightsSha256');
  // Every reader starts from the config (found by a bad-input trial: null gave a TypeError).
  const config = meta.config as unknown;
  if (config === null || typeof config !== 'object' || Array.isArray(config) || typeof (config as { env?: unknown }).env !== 'string') {
    throw new CheckpointFormatError(path, `config must be an object naming its env, got ${JSON.stringify(config) ?? 'none'}`);
  }
  return meta;
}

/**
 * Verifies `weights.bin` (length and SHA-256 against `meta`) and splits it into one float32 array
 * per parameter, in the order of `meta.shapes`.
 */
export function decodeCheckpointWeights(meta: CheckpointMeta, bytes: Uint8Array, path = 'weights.bin'): ParamValues {
  const sizes = meta.shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total * 4) throw new CheckpointFormatError(path, `has ${bytes.byteLength} bytes, expected ${total * 4}`);
  if (sha256Hex(bytes) !== meta.weightsSha256) throw new CheckpointFormatError(path, 'checksum mismatch (corrupt or modified)');
  // Copy: the bytes may sit at an offset that is not a multiple of 4 inside a larger buffer. Not
  // with bytes.slice(): a Node Buffer's slice is a view of its (shared, pooled) memory, not a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const all = new Float32Array(copy.buffer);
  const params: ParamValues = [];
  let o = 0;
  // Training never saves a value that is not finite (a step that would make one is rejected).
  const bad = all.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new CheckpointFormatError(path, `value ${bad} is ${all[bad]}, not a finite number (corrupt or modified)`);
  for (const n of sizes) {
    params.push(all.slice(o, o + n));
    o += n;
  }
  return params;
}

/**
 * A checkpoint from the contents of its two files (`model.json`'s text, `weights.bin`'s bytes);
 * `paths` name them in messages.
 * @throws CheckpointFormatError naming the file: JSON that does not parse, an unknown format,
 *   missing fields, weights of the wrong length or whose SHA-256 differs from the recorded one.
 */
export function parseCheckpoint(modelJson: string, weights: Uint8Array, paths: { model?: string; weights?: string } = {}): Checkpoint {
  // From plain JavaScript, a fetched ArrayBuffer would otherwise read as a checksum mismatch.
  // Any byte view: a Uint8Array from another realm (an iframe, a vm context) is one all the same.
  if (!(ArrayBuffer.isView(weights) && (weights as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT === 1)) {
    const got = (weights as unknown) instanceof ArrayBuffer ? 'an ArrayBuffer' : weights === null ? 'null' : typeof weights === 'object' ? `a ${(weights as object).constructor?.name ?? 'object'}` : typeof weights;
    throw new TypeError(`parseCheckpoint: weights must be the bytes of weights.bin as a Uint8Array (new Uint8Array(await response.arrayBuffer())), got ${got}`);
  }
  const meta = parseCheckpointMeta(modelJson, paths.model);
  return { meta, params: decodeCheckpointWeights(meta, weights, paths.weights) };
}
