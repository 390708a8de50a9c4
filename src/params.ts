import * as tf from '#tfjs';
import type { ParamValues } from './policy.ts';

/** Concatenates parameter values into one float64 vector (for CG and line search). */
export function flattenValues(values: ParamValues): Float64Array {
  const n = values.reduce((s, v) => s + v.length, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const v of values) {
    out.set(v, o);
    o += v.length;
  }
  return out;
}

/** Splits a flat vector into arrays shaped like `like` (float32, rounded). */
export function unflattenValues(flat: ArrayLike<number>, like: ParamValues): ParamValues {
  const out: ParamValues = [];
  let o = 0;
  for (const v of like) {
    const a = new Float32Array(v.length);
    for (let i = 0; i < a.length; i++) a[i] = flat[o + i]!;
    out.push(a);
    o += v.length;
  }
  if (o !== flat.length) throw new RangeError(`unflattenValues: vector has ${flat.length} entries, parameters ${o}`);
  return out;
}

/** Copies of `values`. */
export function cloneValues(values: ParamValues): ParamValues {
  return values.map((v) => v.slice());
}

/** Reads tensors into one flat float64 vector with a single backend read. */
export function readFlat(tensors: readonly tf.Tensor[]): Float64Array {
  const flat = tf.tidy(() => tf.concat(tensors.map((t) => tf.reshape(t, [-1]))));
  const data = flat.dataSync();
  flat.dispose();
  return Float64Array.from(data);
}

/** True if every entry is finite. */
export function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return false;
  return true;
}

/** Σ a_i b_i in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
