/**
 * The demo page's training worker: runs the iterations of "Train on in this page" in a module Web
 * Worker, so that the page stays responsive while they run (on the main thread each meta-iteration
 * held it for its whole length: about a second on wasm for the tiny navigation run, three for the
 * cheetah's). demo/build.ts builds it as a second entry of the page's build, sharing the page's
 * chunks (tfjs, the library, the env modules of one's own); demo/main.ts starts it from the file
 * name the build writes into run/manifest.json.
 *
 * The iterations are those `metarl train --resume` runs with one worker: the same code (`MamlTrpo`),
 * on the same backend as the page, from the run's root stream, so the numbers are the same as in
 * Node and as on the page's main thread (test/browser/demo.test.ts compares them with Node's).
 *
 * Protocol, one job at a time: the page posts a {@link TrainRequest} (the run's config, the
 * parameters to start from, the number of the first iteration and how many to run); the worker
 * replies ({@link TrainReply}) `ready` with the backend it runs on, then `begin` before each
 * iteration and `iteration` after each (its logs and the new parameters), then `done`, or `error`.
 * The page stops a job by terminating the worker (the iteration under way is dropped; those
 * before it have been posted).
 */
import * as tf from '#tfjs';
import { MamlTrpo, createRng, envFactory, validateConfig } from '../agents/browser.ts';
import { startPageBackend } from './page-backend.ts';
import type { BackendName, ParamValues, StepLogs, TrainConfig } from '../agents/browser.ts';
// The envs of one's own that `npm run demo -- --env-module FILE` bundles: the worker has a registry of its own.
import 'virtual:metarl-env-modules';

/** What the page asks of the worker: a job. */
export interface TrainRequest {
  /** The run's config as the page validated it (`validateConfig` of its checkpoint's); validated here again. */
  config: TrainConfig;
  /** The meta-parameters to start from (copied: the page keeps its own). */
  params: ParamValues;
  /** The number of the first iteration to run (the iterations trained so far). */
  iteration: number;
  /** How many iterations to run. */
  count: number;
  /** The backend the page runs on; the worker starts the same one (on its first job). */
  backend: BackendName;
  /** Absolute URL of the folder of the tfjs wasm binaries (a relative one would resolve against this script). */
  wasmPaths: string;
}

/** What the worker tells the page. */
export type TrainReply =
  | { type: 'ready'; backend: string }
  | { type: 'begin'; iteration: number; index: number }
  | { type: 'iteration'; logs: StepLogs; params: ParamValues; numTensors: number }
  | { type: 'done'; trained: number }
  | { type: 'error'; message: string };

const post = (reply: TrainReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);

/** The backend in use once the first job started it (the name, with why wasm fell back to cpu). */
let backend: Promise<string> | null = null;

function startBackend(requested: BackendName, wasmPaths: string): Promise<string> {
  backend ??= startPageBackend(requested, wasmPaths, 'training worker: ').then((b) => b.shown);
  // A backend that did not start is tried again by the next job.
  backend.catch(() => {
    backend = null;
  });
  return backend;
}

async function train(req: TrainRequest): Promise<void> {
  post({ type: 'ready', backend: await startBackend(req.backend, req.wasmPaths) });
  const config = validateConfig(req.config);
  const makeEnv = envFactory(config);
  // One worker, in this thread; the run's root stream: iteration `it` draws what it draws in Node.
  const agent = new MamlTrpo(config, makeEnv, req.params, { workers: 1 });
  agent.rootRng = createRng(config.seed);
  const env = makeEnv();
  let trained = 0;
  try {
    for (let k = 0; k < req.count; k++) {
      const it = req.iteration + k;
      post({ type: 'begin', iteration: it, index: k });
      const logs = await agent.step(env, it);
      trained++;
      // Copies: the agent keeps its parameters (transferring them would detach its arrays).
      const params = agent.params.map((p) => p.slice());
      post({ type: 'iteration', logs, params, numTensors: tf.memory().numTensors }, params.map((p) => p.buffer));
    }
  } finally {
    await agent.close();
  }
  post({ type: 'done', trained });
}

self.addEventListener('message', (ev: MessageEvent<TrainRequest>) => {
  train(ev.data).catch((e: unknown) => {
    console.error(e);
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  });
});
