/**
 * Time of the Omniglot conv net's convolution on the wasm backend: forward + backward (gradients
 * with respect to input and filter) of each of the four 3×3 stride-2 blocks at a batch of 80 images
 * (one 5-way 1-shot task with 15 queries per class), median of `--reps` runs, for
 *   - `sum`: `conv2dSame` as shipped (per-tap matMuls, summed),
 *   - `concat`: the earlier formulation (taps concatenated along channels, one matMul),
 *   - `tf.conv2d` forward only, for scale (its filter gradient has no wasm kernel).
 * Both formulations are checked against `tf.conv2d` before timing.
 *
 *   npx tsx scripts/bench-conv.ts [--batch 80] [--reps 9]
 */
import * as tf from '#tfjs';
import { initBackend } from '../src/backend.ts';
import { conv2dSame, convTaps } from '../src/conv-net.ts';
import { scriptArgs } from './args.ts';

/** The earlier im2col: the same taps, concatenated along channels, then one matMul. */
function conv2dConcat(x: tf.Tensor4D, w: tf.Tensor4D, s: number): tf.Tensor4D {
  const [b, , , cin] = x.shape;
  const [k, , , cout] = w.shape;
  return tf.tidy(() => {
    const { taps, ho, wo } = convTaps(x, k, s);
    const out = tf.matMul(tf.concat(taps, 1), tf.reshape(w, [k * k * cin, cout]) as tf.Tensor2D);
    return tf.reshape(out, [b, ho, wo, cout]) as tf.Tensor4D;
  });
}

const { batch, reps } = scriptArgs('bench-conv', { batch: 80, reps: 9 });
await initBackend('wasm');

function median(f: () => void): number {
  f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(reps / 2)]!;
}

const variants = { sum: conv2dSame, concat: conv2dConcat } as const;
const totals = { sum: 0, concat: 0, native: 0 };
console.log(`| block input | sum (ms) | concat (ms) | tf.conv2d forward (ms) |`);
console.log(`|---|---|---|---|`);
for (const [side, cin] of [[28, 1], [14, 64], [7, 64], [4, 64]] as const) {
  const x = tf.randomUniform([batch, side, side, cin], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, cin, 64], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
  const ref = tf.conv2d(x, w, 2, 'same');
  const row: number[] = [];
  for (const [name, conv] of Object.entries(variants) as [keyof typeof variants, typeof conv2dSame][]) {
    const err = tf.tidy(() => tf.max(tf.abs(tf.sub(conv(x, w, 2), ref))).dataSync()[0]!);
    if (!(err < 1e-4)) throw new Error(`${name} differs from tf.conv2d by ${err}`);
    const ms = median(() =>
      tf.tidy(() => {
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv(a as tf.Tensor4D, b as tf.Tensor4D, 2))))([x, w]);
        gx!.dataSync();
        gw!.dataSync();
      }),
    );
    totals[name] += ms;
    row.push(ms);
  }
  const native = median(() => tf.tidy(() => void tf.conv2d(x, w, 2, 'same').dataSync()));
  totals.native += native;
  console.log(`| ${batch}×${side}×${side}×${cin} | ${row[0]!.toFixed(1)} | ${row[1]!.toFixed(1)} | ${native.toFixed(1)} |`);
  tf.dispose([x, w, ref]);
}
console.log(`| all four | ${totals.sum.toFixed(1)} | ${totals.concat.toFixed(1)} | ${totals.native.toFixed(1)} |`);
console.log(`concat / sum = ${(totals.concat / totals.sum).toFixed(2)}`);
