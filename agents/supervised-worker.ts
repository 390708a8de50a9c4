/**
 * Worker-thread entry of the supervised meta-learner's task blocks (started by
 * agents/supervised-meta.ts through src/worker-pool.ts). Each worker initialises its own tfjs
 * backend (same backend and fixes as the main thread), builds the model from the config and the
 * env's shape, and computes per-task outer gradients for the examples it is sent.
 */
import type { BackendName } from '../src/backend.ts';
import { initBackend } from '../src/backend.ts';
import type { TrainConfig } from '../src/config.ts';
import type { Task } from '../src/types.ts';
import { Transfer, markItem, serveWorker } from '../src/worker-pool.ts';
import { SupervisedTaskWork, type SupervisedShape, type TaskData } from './supervised-meta.ts';
import * as tf from '#tfjs';

/** What every supervised worker is started with. */
export interface SupervisedWorkerInit {
  config: TrainConfig;
  shape: SupervisedShape;
  backend: BackendName;
  secondOrderFix: boolean;
  wasmKernelFixes: boolean;
}

/** One call: θ and a block of tasks starting at meta-batch index `first`. */
interface GradientsRequest {
  x: Float64Array;
  data: TaskData[];
  tasks: Task[];
  first: number;
}

serveWorker(async (init: SupervisedWorkerInit) => {
  await initBackend(init.backend, { log: () => {}, secondOrderFix: init.secondOrderFix, wasmKernelFixes: init.wasmKernelFixes });
  const work = new SupervisedTaskWork(init.config, init.shape);
  return {
    gradients: ({ x, data, tasks, first }: GradientsRequest) => {
      const r = work.gradients(x, data, tasks, first, markItem);
      r.numTensors = tf.memory().numTensors;
      return new Transfer(r, [r.grads.buffer as ArrayBuffer, r.lossBefore.buffer as ArrayBuffer, r.lossAfter.buffer as ArrayBuffer]);
    },
  };
});
