/** The probe `scripts/engine-math.ts` runs in Node and in Chromium (browser-safe: no Node built-ins). */
import { make } from '../envs/index.ts';

/** A fixed integer generator (an LCG), the same in every engine: values in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Math results on fixed arguments, and a cheetah episode's rewards and observations (18 numbers per step). */
export function probe(): { math: Record<'sin' | 'cos' | 'sqrt' | 'hypot', number[]>; cheetah: number[] } {
  const rnd = lcg(987654321);
  const math = { sin: [] as number[], cos: [] as number[], sqrt: [] as number[], hypot: [] as number[] };
  for (let i = 0; i < 20000; i++) {
    const x = (rnd() - 0.5) * 20;
    const y = (rnd() - 0.5) * 20;
    math.sin.push(Math.sin(x));
    math.cos.push(Math.cos(x));
    math.sqrt.push(Math.sqrt(Math.abs(x)));
    math.hypot.push(Math.hypot(x, y));
  }
  const env = make('HalfCheetahVel-v0');
  env.setTask({ velocity: 1.5 });
  env.reset({ seed: 3 });
  const act = lcg(12345);
  const cheetah: number[] = [];
  for (let t = 0; t < 100; t++) {
    const r = env.step(Float32Array.from({ length: env.actionSpace.shape[0] }, () => act() * 2 - 1));
    cheetah.push(r.reward, ...r.obs);
  }
  return { math, cheetah };
}
