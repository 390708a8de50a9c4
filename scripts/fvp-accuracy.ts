/**
 * How far the finite-difference Fisher-vector product ∇KL(θ_old + εv)/ε is from the exact one
 * (third-order autodiff through the adaptation), on one task's real batches: the env's preset
 * policy (or `--activation`, `--hidden`), its log σ set to `--log-std`, one batch of the preset's
 * episodes to adapt on and one after adapting, a random unit direction v. Prints, for second-order
 * MAML and without adaptation (the pretrained and oracle baselines), ‖∇KL(θ_old)‖, ε‖Fv‖ and the
 * relative error at each shift.
 *
 *   npx tsx scripts/fvp-accuracy.ts [--env ID] [--activation tanh|relu] [--hidden 100,100] [--log-std=-0.3] [--shifts 1e-3,1e-2] [--backend wasm]
 */
import * as tf from '#tfjs';
import { initBackend } from '../src/backend.ts';
import { BACKEND_NAMES, type BackendName } from '../src/backend-names.ts';
import { resolveConfig } from '../src/config.ts';
import { envFactory } from '../envs/factory.ts';
import { GaussianMlpPolicy, type ParamValues } from '../src/policy.ts';
import { createRng } from '../src/rng.ts';
import { sampleEpisodes } from '../src/sampler.ts';
import { estimateAdvantages } from '../src/advantages.ts';
import { TaskObjective, adaptValues, pgData, toTensors, validTensors } from '../src/maml.ts';
import { dot, flattenValues, unflattenValues } from '../src/params.ts';
import type { Episodes } from '../src/types.ts';
import { make } from '../envs/index.ts';
import { isSupervised } from '../src/env-contract.ts';
import { scriptArgs, scriptFail, scriptList } from './args.ts';

const SCRIPT = 'fvp-accuracy';
// --activation and --hidden: '' keeps the preset's.
const o = scriptArgs(SCRIPT, { env: 'Navigation2D-v0', activation: ['', 'tanh', 'relu'], hidden: '', 'log-std': '-0.3', shifts: '1e-3,1e-2', backend: ['wasm', ...BACKEND_NAMES.filter((b) => b !== 'wasm')] as readonly BackendName[] });
/** A decimal number (Number() would also take '', 0x10 and Infinity). */
const decimal = (t: string) => (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : undefined);
const logStd = decimal(o['log-std']) ?? scriptFail(SCRIPT, `--log-std: must be a number (got ${JSON.stringify(o['log-std'])})`);
const shifts = scriptList(SCRIPT, 'shifts', o.shifts, 'a number > 0', (t) => {
  const x = decimal(t);
  return x !== undefined && x > 0 ? { text: t, eps: x } : undefined;
});
const hidden = o.hidden === '' ? undefined : scriptList(SCRIPT, 'hidden', o.hidden, 'a positive integer', (t) => (/^\d+$/.test(t) && Number(t) > 0 ? Number(t) : undefined));
try {
  if (isSupervised(make(o.env))) throw new Error(`${o.env} is a supervised env; Fisher-vector products are those of RL policies`);
} catch (e) {
  scriptFail(SCRIPT, `--env: ${(e as Error).message}`);
}
await initBackend(o.backend, { log: () => {} });
const policyOverride = { ...(o.activation !== '' && { activation: o.activation }), ...(hidden && { hiddenSizes: hidden }) };
const cfg = resolveConfig(o.env, undefined, { policy: policyOverride });
const makeEnv = envFactory(cfg);
const probe = makeEnv();
const [od, ad] = [probe.observationSpace.shape[0]!, probe.actionSpace.shape[0]!];
const envs = Array.from({ length: cfg.sampling.fastBatchSize }, makeEnv);
const policy = new GaussianMlpPolicy(od, ad, cfg.policy);
const rng = createRng(5);
const theta = policy.init(rng.fork('init'));
theta[theta.length - 1] = new Float32Array(ad).fill(logStd);
const [task] = probe.sampleTasks(1, rng.fork('task'));
const advantages = (ep: Episodes) => estimateAdvantages(ep, { ...cfg.advantages, regCoeff: cfg.baseline.regCoeff });
const sample = (params: ParamValues, key: string) => sampleEpisodes(envs, policy, { task: task!, params, numEpisodes: cfg.sampling.fastBatchSize, rng: rng.fork(key) });
const pre = sample(theta, 'pre');
const train = pgData(pre, advantages(pre));
const adapted = adaptValues(policy, theta, train, cfg.adaptation.fastLr);
const post = sample(adapted, 'post');
const valid = pgData(post, advantages(post));
/** `f` of the tensors of θ + εd. */
const at = <R>(d: Float64Array | null, eps: number, f: (t: tf.Tensor[]) => R): R => {
  const x = flattenValues(theta);
  if (d) for (let i = 0; i < x.length; i++) x[i] += eps * d[i]!;
  const t = policy.toTensors(unflattenValues(x, theta));
  try {
    return f(t);
  } finally {
    tf.dispose(t);
  }
};
const raw = new Float64Array(policy.numParams).map(() => rng.normal());
const v = raw.map((x) => x / Math.sqrt(dot(raw, raw)));
const norm = (a: Float64Array) => Math.sqrt(dot(a, a));
console.log(`${cfg.env}, policy ${cfg.policy.hiddenSizes.join('-')} ${cfg.policy.activation}, log σ ${o['log-std']}, ${train.n} states per batch, backend ${tf.getBackend()}`);
const cases: [string, TaskObjective][] = [
  ['MAML, second order', new TaskObjective(policy, [toTensors(train, od, ad)], validTensors(policy, valid, adapted), { fastLr: cfg.adaptation.fastLr, firstOrder: false })],
  ['no adaptation', new TaskObjective(policy, [], validTensors(policy, train, theta), { fastLr: cfg.adaptation.fastLr, firstOrder: false })],
];
for (const [name, obj] of cases) {
  const exact = at(null, 0, (t) => {
    const parts = policy.toTensors(unflattenValues(v, theta));
    try {
      return obj.fvpExact(t, parts);
    } finally {
      tf.dispose(parts);
    }
  });
  const g0 = at(null, 0, (t) => obj.klGradient(t).grad);
  const errors = shifts.map(({ text, eps }) => {
    const fd = at(v, eps, (t) => obj.fvpFiniteDifference(t, eps));
    return `shift ${text}: ${(norm(fd.map((x, i) => x - exact[i]!)) / norm(exact)).toPrecision(3)}`;
  });
  console.log(`  ${name}: ‖∇KL(θ_old)‖ ${norm(g0).toExponential(2)}, ‖Fv‖ ${norm(exact).toExponential(2)}; relative error, ${errors.join(', ')}`);
  obj.dispose();
}
