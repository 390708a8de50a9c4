/**
 * Fix for silently wrong second- and third-order gradients in tfjs 4.22.
 *
 * What goes wrong
 * ---------------
 * When the tape is recording, `Engine.runKernelFunc` runs the kernel and, still
 * inside the kernel call, saves the tensors that the op's gradient will need
 * (`saveTensorsForBackwardMode` -> `Engine.clone`). `clone` pushes its own tape
 * node (Identity: `saved -> clone`) immediately. Only after the kernel returns
 * does `runKernelFunc` push the node of the op itself (`inputs -> outputs`).
 *
 * For gradients that reuse the op's *output* (Tanh, Exp, Sigmoid, Softmax,
 * LogSoftmax, Pow, Elu, Max/Min, pools, ...) the tape therefore holds
 *
 *     [..., Identity(y -> y_saved), Op(x -> y), ...]
 *
 * i.e. a consumer of `y` is recorded before the producer of `y`. The tape is
 * meant to be in topological order and both passes in tape.js rely on it:
 * `getFilteredNodesXToY` walks forward and, when it visits the Identity node,
 * `y` is not yet known to depend on the sources, so `y_saved` is treated as a
 * constant; and `backpropagateGradients` walks backward and would reach `Op`
 * before the gradient flowing into `y` through `y_saved` had been accumulated.
 * First-order gradients are unaffected (y_saved is only used by the backward
 * pass), but when a gradient is differentiated again (MAML meta-gradient,
 * Hessian-vector products) every term that goes through a saved output is
 * dropped. The result is wrong without any error, unless *all* paths are
 * dropped (e.g. `tf.grad(tf.grad(tf.tanh))`), in which case tfjs throws
 * "Cannot compute gradient of y=f(x) with respect to x".
 *
 * Why this fix
 * ------------
 * Two remedies were considered: re-register the affected gradients so they
 * recompute from saved inputs (costs extra forward work in every backward pass
 * and has to be repeated for each op kernel that saves outputs), or restore the
 * topological order of the tape. We do the latter: it costs nothing at compute
 * time, covers every op (including custom gradients and ops we do not know
 * about), and leaves the gradient functions untouched.
 *
 * How
 * ---
 * We wrap the engine's `runKernelFunc` (an instance-level override of the
 * prototype method, which all internal callers reach through `this`). After
 * the original call, the nodes it appended to the active tape are
 * `[clone_1, ..., clone_k, producer]`; we move `producer` in front of the
 * clones. This is always a valid topological order: the producer's inputs
 * existed before the call, and each clone's input is either such an input or
 * one of the producer's outputs. Node ids are left alone (tape.js uses them
 * only as keys). Kernels run inside another kernel do not record (the engine
 * turns the tape off while `kernelDepth > 0`), so nested calls append nothing
 * and are left untouched.
 *
 * This touches tfjs internals (`Engine.state.activeTape`, `runKernelFunc`),
 * so the tfjs version is pinned and `checkSecondOrderGradients()` (run by
 * `initBackend`) plus the finite-difference tests in test/grad/ guard it.
 */
import * as tf from '#tfjs';

/** The parts of a tfjs tape node that we read. */
interface TapeNodeLike {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
}

type RunKernelFunc = (this: EngineInternals, params: unknown) => tf.Tensor | tf.Tensor[];

/** The internal engine members this fix relies on (tfjs-core 4.22.0). */
interface EngineInternals {
  state: { activeTape?: TapeNodeLike[] | null };
  runKernelFunc: RunKernelFunc;
}

/** Marks our wrapper so that we can recognise it (also across module copies). */
const FIX_MARK = Symbol.for('metarl.tfjsSecondOrderFix');

function getEngine(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

function isOurWrapper(f: unknown): boolean {
  return typeof f === 'function' && (f as unknown as Record<symbol, unknown>)[FIX_MARK] === true;
}

/** Moves the last node of `tape` (the producer) to index `start`. */
function moveProducerBeforeClones(tape: TapeNodeLike[], start: number, result: tf.Tensor | tf.Tensor[]): void {
  const producer = tape[tape.length - 1];
  // Only reorder when the last node really is the node of this call; if the
  // engine ever records differently, leave the tape alone rather than guess.
  const outs = Array.isArray(result) ? result : [result];
  if (producer === undefined || producer.outputs.length !== outs.length) return;
  for (let i = 0; i < outs.length; i++) {
    if (producer.outputs[i] !== outs[i]) return;
  }
  for (let i = tape.length - 1; i > start; i--) tape[i] = tape[i - 1]!;
  tape[start] = producer;
}

/**
 * Installs the tape-order fix on the global tfjs engine. The engine (and its
 * tape) is shared by all backends, so one installation covers cpu, wasm,
 * webgl and the native backends. Idempotent.
 */
export function installSecondOrderFix(): void {
  const engine = getEngine();
  if (isOurWrapper(engine.runKernelFunc)) return;
  const original = engine.runKernelFunc;
  // `activeTape` only appears once a tape has been started, so check for
  // fields that the 4.22 EngineState always has.
  if (
    typeof original !== 'function' ||
    engine.state == null ||
    typeof (engine.state as unknown as Record<string, unknown>)['gradientDepth'] !== 'number' ||
    typeof (engine.state as unknown as Record<string, unknown>)['nextTapeNodeId'] !== 'number'
  ) {
    throw new Error(
      'metarl: cannot install the second-order gradient fix: the tfjs engine internals ' +
        `(runKernelFunc, state.activeTape) are not as expected for tfjs-core ${tf.version_core}; ` +
        'this fix is written for 4.22.0',
    );
  }
  const wrapper: RunKernelFunc = function (this: EngineInternals, params: unknown) {
    const tapeBefore = this.state.activeTape;
    const start = tapeBefore == null ? 0 : tapeBefore.length;
    const result = original.call(this, params);
    const tape = this.state.activeTape;
    if (tape != null && tape === tapeBefore && tape.length - start >= 2) {
      moveProducerBeforeClones(tape, start, result);
    }
    return result;
  };
  (wrapper as unknown as Record<symbol, unknown>)[FIX_MARK] = true;
  engine.runKernelFunc = wrapper;
}

/** Removes the fix again (restores the engine's own `runKernelFunc`). */
export function uninstallSecondOrderFix(): void {
  const engine = getEngine();
  if (!isOurWrapper(engine.runKernelFunc)) return;
  // The wrapper is an own property shadowing the prototype method.
  delete (engine as unknown as { runKernelFunc?: unknown }).runKernelFunc;
}

/** Whether the second-order gradient fix is installed on the current tfjs engine. */
export function secondOrderFixInstalled(): boolean {
  return isOurWrapper(getEngine().runKernelFunc);
}

/**
 * Quick self-test on the current backend: the second derivative of tanh at a
 * few points, and a mixed second derivative through exp. Returns the largest
 * absolute error against closed forms; throws nothing itself. Without the fix
 * `tf.grad(tf.grad(tanh))` throws, which is reported as `Infinity`.
 */
export function checkSecondOrderGradients(): number {
  const xs = [-1.3, -0.2, 0.4, 1.1];
  let got: number[];
  let got2: number[];
  try {
    got = tf.tidy(() => {
      const d2 = tf.grad(tf.grad((x: tf.Tensor) => tf.tanh(x)));
      return Array.from(d2(tf.tensor1d(xs)).dataSync());
    });
    // d/dx [ d/dx sum(exp(x) * x) ] = exp(x) * (x + 2) ; exercises a saved output
    // combined with a second path (x) that also reaches the result.
    got2 = tf.tidy(() => {
      const d2 = tf.grad((x: tf.Tensor) => tf.sum(tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.exp(z), z)))(x)));
      return Array.from(d2(tf.tensor1d(xs)).dataSync());
    });
  } catch {
    return Infinity;
  }
  let err = 0;
  xs.forEach((x, i) => {
    const t = Math.tanh(x);
    err = Math.max(err, Math.abs(got[i]! - -2 * t * (1 - t * t)));
    err = Math.max(err, Math.abs(got2[i]! - Math.exp(x) * (x + 2)));
  });
  return err;
}
