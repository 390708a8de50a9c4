/**
 * The demo page: loads a trained run bundled by demo/build.ts, lets the person pick a task and
 * runs MAML's inner loop on it with the library's own code, in the page, on tfjs (wasm backend).
 *
 * URL parameters: `?backend=wasm|cpu` (default wasm), `?seed=N` (root seed of the page's episode
 * streams, default 1).
 */
import * as tf from '#tfjs';
// The library through its browser entry point, `metarl/browser` (the build fails if it pulls in Node).
import { GaussianMlpPolicy, createRng, envFactory, isSupervised, parseCheckpoint, splitMeta, validateConfig } from '../agents/browser.ts';
import type { BackendName, ParamValues, Task, TrainConfig } from '../agents/browser.ts';
import type { TrainReply, TrainRequest } from './train-worker.ts';
import type { ProgressPoint } from '../src/progress.ts';
import { AdaptationSession, type AdaptationStep } from './adaptation.ts';
import { startPageBackend } from './page-backend.ts';
import { parseProgress, renderCurves } from './curves.ts';
import { pageSettings, runKind, stepSizeText, type RunKind } from './page-text.ts';
import { viewFor } from './views/index.ts';
// The envs of one's own that `npm run demo -- --env-module FILE` bundles (registered on import; none by default).
import 'virtual:metarl-env-modules';
import { STEP_COLORS } from './views/types.ts';

/** What demo/build.ts writes next to the run files. */
interface Manifest {
  /** Shown on the page: where the policy comes from. */
  label: string;
  /** Path of the run directory the build read. */
  source: string;
  files: { model: string; weights: string; progress: string | null };
  /** The env id whose view to use (`--view`); null: the run's env's own. */
  view?: string | null;
  /** The training worker's script (demo/train-worker.ts as built), relative to the page. */
  worker: string;
}

/** What the playground and the training control share: one job at a time. */
interface PageState {
  /** Set while the page samples, adapts or trains. */
  busy: boolean;
  /** Set while the training worker runs a job. */
  training: boolean;
  /** Called when a job ends: the playground's controls are set again. */
  onIdle: () => void;
  /** Called when the parameters changed: the playground's table was of the old ones. */
  onTrained: () => void;
}

/** Gradient steps the step counter allows (the protocol of src/evaluation.ts reports 0…3). */
const MAX_STEPS = 3;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function setStatus(state: 'loading' | 'ready' | 'busy' | 'adapted' | 'error', text: string): void {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = text;
}

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${r.statusText}`);
  return r;
}

function fmt(x: number): string {
  return x.toFixed(2).replace('-', '−');
}

function sem(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / n;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1) / n);
}

/** The folder of the tfjs wasm binaries, which demo/build.ts copies next to the page (an absolute URL, for the training worker too). */
const wasmPaths = () => new URL('tfjs-wasm/', document.baseURI).href;

async function main(): Promise<void> {
  const { seed, backend: requested } = pageSettings(location.search);
  const backend = await startPageBackend(requested, wasmPaths());

  const manifest = (await (await fetchOk('run/manifest.json')).json()) as Manifest;
  const [modelText, weights, progressText] = await Promise.all([
    fetchOk(manifest.files.model).then((r) => r.text()),
    fetchOk(manifest.files.weights).then(async (r) => new Uint8Array(await r.arrayBuffer())),
    manifest.files.progress ? fetchOk(manifest.files.progress).then((r) => r.text()) : Promise.resolve(''),
  ]);
  const ck = parseCheckpoint(modelText, weights, { model: manifest.files.model, weights: manifest.files.weights });
  const cfg = validateConfig(ck.meta.config);
  const policy = new GaussianMlpPolicy(ck.meta.obsDim, ck.meta.actDim, cfg.policy);
  const makeEnv = envFactory(cfg);
  const supervised = isSupervised(makeEnv());
  const kind = runKind(cfg, supervised);
  // A run with learned step sizes holds [θ, s]: the policy is θ, and s scales its inner steps.
  const meta = (params: ParamValues) => splitMeta(params, policy.shapes.length, cfg.adaptation.learnedLr === true);
  /** The parameters the playground adapts: the run's, then those of the meta-iterations trained in the page. */
  const current = { params: ck.params, iteration: ck.meta.iteration };
  const points = parseProgress(progressText);
  const showRunInfo = () => {
    const here = current.iteration - ck.meta.iteration;
    $('run-info').textContent =
      `${manifest.label} — ${cfg.env}, ${cfg.algo}, iteration ${current.iteration}${here > 0 ? ` (${ck.meta.iteration} from the run, the last ${here} trained in this page)` : ` of ${cfg.iterations}`}, ` +
      `policy ${cfg.policy.hiddenSizes.join('×')} ${cfg.policy.activation}, ${stepSizeText(cfg.adaptation.fastLr, cfg.adaptation.learnedLr ? meta(current.params).lrScale : null)} · tfjs ${tf.version_core}, backend ${backend.shown}`;
    document.body.dataset.iteration = String(current.iteration);
  };
  showRunInfo();
  renderCurves($('curves') as unknown as SVGSVGElement, points, kind);
  const state: PageState = { busy: false, training: false, onIdle: () => {}, onTrained: () => {} };
  setUpTraining(cfg, kind, supervised, backend.name, new URL(manifest.worker, document.baseURI), current, points, state, showRunInfo);

  const view = viewFor(manifest.view ?? cfg.env);
  if (!view) {
    $('prompt').textContent = `The playground has no view for ${cfg.env} yet (npm run demo -- --view ID borrows a built-in env's, see demo/views/index.ts); the training curves are below.`;
    $('playground').hidden = true;
    setStatus('ready', 'Run loaded.');
    return;
  }

  const episodesInput = $<HTMLInputElement>('episodes');
  const defaultEpisodes = Math.min(cfg.sampling.fastBatchSize, view.maxDefaultEpisodes ?? Infinity);
  episodesInput.value = String(defaultEpisodes);
  // An oracle sees the task in its observation: it is scored as it is, as metarl evaluate and compare do.
  const maxSteps = kind.adapts ? MAX_STEPS : 0;
  $('max-steps').textContent = String(maxSteps);
  $('prompt').textContent = kind.adapts ? view.prompt : `${view.prompt} This is an oracle run: its policy sees the task in its observation, so the page scores it without adaptation, as metarl evaluate does.`;
  $('legend').textContent = view.legend ?? '';
  const nextButton = $<HTMLButtonElement>('next-step');
  const resetButton = $<HTMLButtonElement>('reset');
  const rows = $('results').querySelector('tbody')!;
  const root = createRng(seed).fork('demo');
  let sessionIndex = 0;
  let session: AdaptationSession | null = null;
  let task: Task | null = null;

  const gradientSteps = () => (session ? session.steps.length - 1 : 0);
  const updateControls = () => {
    const k = gradientSteps();
    nextButton.disabled = state.busy || !session || k >= maxSteps;
    episodesInput.disabled = state.busy;
    nextButton.textContent = !kind.adapts ? 'An oracle takes no gradient steps' : k >= maxSteps ? `${maxSteps} gradient steps taken` : `Take gradient step ${k + 1} (α${k === 0 ? '' : '/2'})`;
    resetButton.disabled = state.busy || !task;
  };
  state.onIdle = updateControls;
  // New parameters: the table and trajectories were those of the old ones; the task stays, for "Same goal, new episodes".
  state.onTrained = () => {
    session = null;
    renderResults();
  };

  const renderResults = () => {
    const steps = session?.steps ?? [];
    rows.replaceChildren(
      ...steps.map((s: AdaptationStep) => {
        const tr = document.createElement('tr');
        const color = STEP_COLORS[s.step % STEP_COLORS.length]!;
        const times = cfg.adaptation.learnedLr ? ' × s' : '';
        const lr = s.step === 0 ? '—' : s.step === 1 ? `α = ${s.lr}${times}` : `α/2 = ${s.lr}${times}`;
        tr.innerHTML = `<td><span class="swatch" style="background:${color}"></span>${s.step === 0 ? '0 (before)' : s.step}</td><td>${lr}</td><td></td><td>${fmt(sem(s.returns))}</td>`;
        const cell = tr.children[2] as HTMLElement;
        cell.id = `return-${s.step}`;
        cell.dataset.value = String(s.meanReturn);
        cell.textContent = fmt(s.meanReturn);
        return tr;
      }),
    );
    const count = $('step-count');
    count.textContent = String(gradientSteps());
    count.dataset.value = String(gradientSteps());
    view.render(task, steps);
    document.body.dataset.numTensors = String(tf.memory().numTensors);
  };

  const summary = () => {
    const s = session!.steps;
    const last = s[s.length - 1]!;
    if (!kind.adapts) return `Return of the oracle policy ${fmt(last.meanReturn)} (scored without adaptation)`;
    return `Return before adaptation ${fmt(s[0]!.meanReturn)} → after ${last.step} gradient step${last.step === 1 ? '' : 's'} ${fmt(last.meanReturn)}`;
  };

  /** Runs `fn` with the controls disabled and the status showing `what`. */
  const work = async (what: string, fn: () => void) => {
    state.busy = true;
    updateControls();
    setStatus('busy', what);
    await nextFrame();
    try {
      fn();
      renderResults();
    } finally {
      state.busy = false;
      updateControls();
    }
  };

  const start = async (t: Task) => {
    if (state.busy) {
      // A click on the view while the worker trains: say why nothing happens.
      if (state.training) $('task-info').textContent = 'The playground is free again when the training below ends, or when you stop it; it then adapts the new parameters.';
      return;
    }
    task = t;
    const episodes = Math.max(1, Math.min(200, Math.round(Number(episodesInput.value)) || defaultEpisodes));
    const { theta, lrScale } = meta(current.params);
    session = new AdaptationSession(policy, theta, makeEnv, {
      lrScale,
      task: t,
      episodes,
      fastLr: cfg.adaptation.fastLr,
      advantages: { ...cfg.advantages, regCoeff: cfg.baseline.regCoeff },
      rng: root.fork(sessionIndex++),
    });
    $('task-info').textContent = `${view.describeTask(t)}, ${episodes} episodes per step`;
    const s = session;
    await work(`Sampling ${episodes} episodes with the ${kind.adapts ? 'meta-trained' : 'oracle'} policy…`, () => s.next());
    if (kind.adapts) await work('Adapting: baseline, advantages, one gradient step (α) in tfjs, then sampling the adapted policy…', () => s.next());
    setStatus('adapted', summary());
  };

  view.mount($('view'), (t) => void start(t).catch(fail), { envId: cfg.env, policy, makeEnv });
  nextButton.addEventListener('click', () => {
    const s = session;
    if (!s || state.busy || gradientSteps() >= maxSteps) return;
    void work(`Gradient step ${gradientSteps() + 1} (α/2)…`, () => s.next())
      .then(() => setStatus('adapted', summary()))
      .catch(fail);
  });
  resetButton.addEventListener('click', () => {
    if (task) void start(task).catch(fail);
  });
  updateControls();
  renderResults();
  setStatus('ready', `Ready. ${view.prompt}`);
}

/**
 * The "Train on in this page" control: iterations of the run's algo (MAML-TRPO, or TRPO for a
 * pretrained or oracle run) from the page's current parameters, numbered on from the run's
 * checkpoint with the run's seed, so each is the iteration `metarl train --resume` would run (one
 * worker). They run in a Web Worker (demo/train-worker.ts), so the page stays responsive, and the
 * button stops them at once (terminating the worker drops the iteration under way). Each extends the curves; the playground adapts
 * the new parameters. Supervised runs are not trained here.
 */
function setUpTraining(
  cfg: TrainConfig,
  kind: RunKind,
  supervised: boolean,
  backend: BackendName,
  workerUrl: URL,
  current: { params: ParamValues; iteration: number },
  points: ProgressPoint[],
  state: PageState,
  showRunInfo: () => void,
): void {
  const button = $<HTMLButtonElement>('train');
  const iterationsInput = $<HTMLInputElement>('train-iterations');
  const info = $('train-info');
  if (supervised) {
    info.textContent = `Training in the page is for RL runs; ${cfg.env} is supervised.`;
    return;
  }
  const maml = cfg.algo === 'maml-trpo';
  const unit = maml ? 'Meta-iteration' : 'Iteration';
  const label = `Train on in this page: ${kind.trainer}`;
  button.textContent = label;
  $('train-unit').textContent = maml ? 'meta-iterations' : 'iterations';
  info.textContent = maml
    ? 'Goes on from the run\'s checkpoint with MAML-TRPO, as metarl train --resume would (same tasks, episodes and step): sampling, inner steps, the meta-gradient through them, conjugate gradient and the line search, in tfjs, in a Web Worker of this page. The playground then adapts the new parameters.'
    : `Goes on from the run's checkpoint with TRPO on the whole task distribution (algo ${cfg.algo}${cfg.algo === 'oracle' ? ', the task in the observation' : ', the task not observed'}), as metarl train --resume would (same tasks, episodes and step): sampling, conjugate gradient and the line search, in tfjs, in a Web Worker of this page. The playground then ${kind.adapts ? 'adapts' : 'scores'} the new parameters.`;
  button.disabled = false;

  /** Started on the first click and kept: its backend is started once. */
  let worker: Worker | null = null;
  /** The job under way: how many iterations were asked for, and how many have been trained. */
  let job: { count: number; trained: number } | null = null;
  let workerBackend = backend as string;

  /**
   * Ends the job; the parameters are those of its last iteration trained. Returns how many it
   * trained, and says so in the status unless it ended in an error (`stopped`: by the button).
   */
  const finish = (end: 'done' | 'stopped' | 'error'): number => {
    if (!job) return 0;
    const { count: n, trained } = job;
    job = null;
    state.busy = false;
    state.training = false;
    button.textContent = label;
    iterationsInput.disabled = false;
    if (trained > 0) state.onTrained();
    state.onIdle();
    if (end === 'error') return trained;
    const verb = kind.adapts ? 'adapts' : 'scores';
    const what = `Trained ${trained} iteration${trained === 1 ? '' : 's'} in this page (${kind.trainer}${end === 'stopped' ? `, stopped before the ${n} asked for: the iteration under way was dropped` : ''})`;
    setStatus('ready', trained === 0 ? `${what}.` : `${what}; the playground now ${verb} the parameters of iteration ${current.iteration}: pick a task, or press "Same goal, new episodes", to ${verb.slice(0, -1)} them.`);
    return trained;
  };

  const onReply = (reply: TrainReply) => {
    if (!job) return;
    switch (reply.type) {
      case 'ready':
        workerBackend = reply.backend;
        return;
      case 'begin':
        setStatus('busy', `${unit} ${reply.iteration + 1} in a Web Worker of this page (${reply.index + 1} of ${job.count}): ${cfg.sampling.metaBatchSize} tasks × ${cfg.sampling.fastBatchSize} episodes, ${maml ? 'inner steps, meta-gradient, ' : ''}TRPO step…`);
        return;
      case 'iteration': {
        const logs = reply.logs;
        const it = logs.iteration;
        current.params = reply.params;
        current.iteration = it + 1;
        job.trained++;
        points.push({ iteration: it, returnsBefore: logs.returnsBefore, returnsAfter: logs.returnsAfter });
        renderCurves($('curves') as unknown as SVGSVGElement, points, kind);
        showRunInfo();
        const record = { iteration: it, returnsBefore: logs.returnsBefore, returnsAfter: logs.returnsAfter, kl: logs.kl, stepOutcome: logs.stepOutcome, lineSearchSteps: logs.lineSearchSteps, seconds: logs.time.total };
        info.dataset.last = JSON.stringify(record);
        // The worker's live tensors after each iteration trained in this page (none, when nothing leaks).
        info.dataset.workerTensors = [info.dataset.workerTensors, reply.numTensors].filter((x) => x !== undefined).join(',');
        const returns = maml ? `return before ${fmt(logs.returnsBefore)} → ${kind.series[1]!.label} ${fmt(logs.returnsAfter)}` : `return ${fmt(logs.returnsAfter)}`;
        info.textContent = `${unit} ${it + 1}: ${returns}, KL ${logs.kl.toExponential(2)}, step ${logs.stepOutcome}, ${logs.time.total.toFixed(1)} s (Web Worker, backend ${workerBackend}).`;
        return;
      }
      case 'done':
        finish('done');
        return;
      case 'error': {
        const trained = finish('error');
        fail(new Error(`training worker: ${reply.message}${trained > 0 ? ` (the ${trained} iteration${trained === 1 ? '' : 's'} trained before it are kept)` : ''}`));
        return;
      }
    }
  };

  const startWorker = (): Worker => {
    // The build's second entry (not `new URL('./train-worker.ts', import.meta.url)`, which Vite would bundle apart, with its own tfjs).
    const w = new Worker(workerUrl, { type: 'module', name: 'metarl training' });
    w.addEventListener('message', (ev: MessageEvent<TrainReply>) => onReply(ev.data));
    // A worker that cannot start or throws outside a job (its script failed to load, say): no job can end normally.
    w.addEventListener('error', (ev) => {
      ev.preventDefault();
      worker = null;
      w.terminate();
      finish('error');
      fail(new Error(`training worker: ${ev.message || 'could not start (see the console)'}`));
    });
    return w;
  };

  button.addEventListener('click', () => {
    if (job) {
      // At once, whatever the backend (an iteration on cpu takes half a minute): the iteration under way is
      // dropped with the worker (a part of one would be neither the run's nor Node's); the next job starts a new one.
      worker?.terminate();
      worker = null;
      finish('stopped');
      return;
    }
    if (state.busy) return;
    const count = Math.max(1, Math.min(100, Math.round(Number(iterationsInput.value)) || 1));
    worker ??= startWorker();
    job = { count, trained: 0 };
    state.busy = true;
    state.training = true;
    iterationsInput.disabled = true;
    state.onIdle();
    button.textContent = 'Stop (drops the iteration under way)';
    setStatus('busy', `Starting the training worker (${unit.toLowerCase()} ${current.iteration + 1} of the run next)…`);
    // Copies, transferred: a view into the checkpoint's buffer would be cloned with all of that buffer.
    const params = current.params.map((p) => p.slice());
    const request: TrainRequest = { config: cfg, params, iteration: current.iteration, count, backend, wasmPaths: wasmPaths() };
    worker.postMessage(request, params.map((p) => p.buffer));
  });
}

function fail(e: unknown): void {
  console.error(e);
  setStatus('error', `Error: ${e instanceof Error ? e.message : String(e)}`);
}

window.addEventListener('error', (ev) => fail(ev.error ?? ev.message));
window.addEventListener('unhandledrejection', (ev) => fail(ev.reason));
main().catch(fail);
