/**
 * Backend benchmark: loss + gradient of a 2 -> 100 -> 100 -> 2 tanh MLP
 * Gaussian policy (learned log-std) on 40,000 samples, a REINFORCE-style
 * surrogate -mean(logpi(a|s) * adv).
 *
 *   npx tsx scripts/bench-backend.ts [--samples 40000] [--reps 5] [--cpu-reps 2]
 *       [--only cpu,wasm-stock,wasm-fixed] [--second-order-fix on|off]
 *
 * Prints the median wall time per loss+gradient for each configuration.
 */
import * as tf from '#tfjs';
import * as os from 'node:os';
import { initBackend } from '../src/backend.ts';
import { scriptArgs, scriptList } from './args.ts';

const args = scriptArgs('bench-backend', { samples: 40000, reps: 5, 'cpu-reps': 2, only: 'cpu,wasm-stock,wasm-fixed', 'second-order-fix': ['on', 'off'] });
const N = args.samples;
const REPS = args.reps;
const CPU_REPS = args['cpu-reps'];
const KINDS = ['cpu', 'wasm-stock', 'wasm-fixed'];
const ONLY = scriptList('bench-backend', 'only', args.only, `one of ${KINDS.join(', ')}`, (k) => (KINDS.includes(k) ? k : undefined));
const SECOND_ORDER_FIX = args['second-order-fix'] !== 'off';
const SIZES = [2, 100, 100, 2];

/** Deterministic pseudo-random numbers in [-1, 1) (no dependence on backend). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function makeData() {
  const r = lcg(7);
  const obs = Float32Array.from({ length: N * 2 }, () => r());
  const act = Float32Array.from({ length: N * 2 }, () => r());
  const adv = Float32Array.from({ length: N }, () => r());
  const params: Float32Array[] = [];
  const shapes: number[][] = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const [i, o] = [SIZES[l], SIZES[l + 1]];
    const scale = Math.sqrt(1 / i);
    params.push(Float32Array.from({ length: i * o }, () => r() * scale));
    shapes.push([i, o]);
    params.push(new Float32Array(o));
    shapes.push([o]);
  }
  params.push(Float32Array.from([-0.5, -0.5]));
  shapes.push([2]);
  return { obs, act, adv, params, shapes };
}

const data = makeData();

function lossFn(params: tf.Tensor[], obs: tf.Tensor, act: tf.Tensor, adv: tf.Tensor): tf.Scalar {
  let h = obs;
  const nLayers = SIZES.length - 1;
  for (let l = 0; l < nLayers; l++) {
    h = tf.add(tf.matMul(h, params[2 * l]), params[2 * l + 1]);
    if (l < nLayers - 1) h = tf.tanh(h);
  }
  const logStd = params[params.length - 1];
  const z = tf.div(tf.sub(act, h), tf.exp(logStd));
  const logp = tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), tf.sum(logStd));
  return tf.neg(tf.mean(tf.mul(logp, adv))) as tf.Scalar;
}

async function timeConfig(label: string, reps: number): Promise<number> {
  const obs = tf.tensor2d(data.obs, [N, 2]);
  const act = tf.tensor2d(data.act, [N, 2]);
  const adv = tf.tensor1d(data.adv);
  const params = data.params.map((p, i) => tf.tensor(p, data.shapes[i]));
  const gradFn = tf.grads((...ps: tf.Tensor[]) => lossFn(ps, obs, act, adv));
  const once = (): number => {
    const grads = gradFn(params);
    let s = 0;
    for (const g of grads) s += g.dataSync()[0];
    tf.dispose(grads);
    return s;
  };
  once(); // warm-up (kernel setup, XNNPACK operator creation, heap growth)
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  tf.dispose([obs, act, adv, ...params]);
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  console.log(
    `${label.padEnd(11)} median ${(med / 1000).toFixed(3)} s  (runs: ${times.map((t) => (t / 1000).toFixed(3)).join(', ')})`,
  );
  return med;
}

async function main(): Promise<void> {
  console.log(
    `loss+gradient, MLP ${SIZES.join('->')} tanh, ${N} samples; ${os.cpus().length} cores, ` +
      `${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`,
  );
  const results: Record<string, number> = {};
  if (ONLY.includes('cpu')) {
    await initBackend('cpu', { secondOrderFix: SECOND_ORDER_FIX });
    results.cpu = await timeConfig('cpu', CPU_REPS);
  }
  if (ONLY.includes('wasm-stock')) {
    await initBackend('wasm', { wasmKernelFixes: false, secondOrderFix: SECOND_ORDER_FIX });
    results['wasm-stock'] = await timeConfig('wasm-stock', REPS);
  }
  if (ONLY.includes('wasm-fixed')) {
    await initBackend('wasm', { wasmKernelFixes: true, secondOrderFix: SECOND_ORDER_FIX });
    results['wasm-fixed'] = await timeConfig('wasm-fixed', REPS);
  }
  const base = results.cpu ?? results['wasm-stock'];
  if (base != null) {
    for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(11)} ${(base / v).toFixed(1)}x vs ${results.cpu != null ? 'cpu' : 'wasm-stock'}`);
  }
}

await main();
