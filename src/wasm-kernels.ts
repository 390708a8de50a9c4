/**
 * Faster replacements for some kernels of the tfjs wasm backend (4.22.0).
 *
 * BatchMatMul
 *   The stock kernel hands the product to XNNPACK's fully-connected operator
 *   only when neither operand is transposed and both batch sizes are 1;
 *   everything else (in particular every matmul of a backward pass, which
 *   uses transposeA or transposeB) runs in a blocked scalar C++ loop that is
 *   about 10x slower. The stock slow path also does not broadcast batch
 *   dimensions (it indexes both operands with the same batch index).
 *   Our kernel
 *     - materialises transposed operands with the wasm Transpose kernel
 *       (a memory-bound copy, cheap next to the product),
 *     - when B has a single batch (shared weights) folds all batches of A into
 *       rows: one [sum of rows, K] x [K, N] product,
 *     - otherwise loops over the broadcast batch, pointing the C++ matmul at
 *       slices of the operands and of the output in place (temporary tensor
 *       ids registered on sub-ranges of the wasm heap; no copies),
 *   so every product goes through the XNNPACK path.
 *
 * Tanh
 *   The stock kernel is a scalar libm loop, several times slower than the
 *   wasm Sigmoid kernel. We use tanh(x) = 2 sigmoid(2x) - 1 (absolute error
 *   ~1.6e-7). Because that identity loses relative accuracy for small |x|
 *   (the result is formed by a cancellation near 1), |x| < 0.1 uses the odd
 *   Taylor series up to x^9 instead (relative error < 1e-11 there).
 *
 * Identity, and Cast to the same dtype
 *   The stock kernels copy the data into a new buffer. tfjs runs Identity for
 *   every tensor it saves for a backward pass (Engine.clone), several hundred
 *   times per MAML task and Fisher-vector product, and Cast float32->float32
 *   inside many ops. Tensors are immutable, so like the cpu backend (and like
 *   the wasm Reshape kernel) we return the same data with its reference count
 *   raised: same values, no copy (~8 % off a Fisher-vector product).
 *
 * The overrides only change how the forward values are computed; gradients
 * are the registered tfjs gradients (they are built from other ops), so they
 * are unaffected. `installWasmKernelFixes` must be called after the wasm
 * backend has been registered (import of @tensorflow/tfjs-backend-wasm);
 * `uninstallWasmKernelFixes` restores the stock kernels (used by benchmarks
 * and tests).
 *
 * This relies on wasm backend internals (dataIdMap, makeOutput, the exported
 * C functions `BatchMatMul` and `Sigmoid`, register_tensor/dispose_data), so
 * the tfjs version is pinned and test/grad/wasm-kernels.test.ts checks the
 * results against the cpu backend.
 */
import * as tf from '#tfjs';

/** The parts of the emscripten module of the wasm backend that we use. */
interface WasmModuleLike {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: unknown[]) => unknown;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

interface WasmTensorData {
  id: number;
  memoryOffset: number;
}

/** The parts of `BackendWasm` that we use. */
interface WasmBackendLike {
  wasm: WasmModuleLike;
  incRef(dataId: object): void;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

type CMatMul = (
  aId: number, aShape: Uint8Array, aRank: number,
  bId: number, bShape: Uint8Array, bRank: number,
  transposeA: number, transposeB: number, outId: number,
) => void;
type CUnary = (xId: number, outId: number) => void;

const WASM = 'wasm';
const BYTES_F32 = 4;

// The C entry points, bound in `setup` (again whenever the engine sets the
// backend up, e.g. after it was re-created).
let cMatMul: CMatMul | null = null;
let cSigmoid: CUnary | null = null;

function setup(backend: object): void {
  const be = backend as WasmBackendLike;
  cMatMul = be.wasm.cwrap('BatchMatMul', null, [
    'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number',
  ]) as unknown as CMatMul;
  cSigmoid = be.wasm.cwrap('Sigmoid', null, ['number', 'number']) as unknown as CUnary;
}

function dataOf(be: WasmBackendLike, info: tf.TensorInfo): WasmTensorData {
  const d = be.dataIdMap.get(info.dataId);
  if (d == null) throw new Error('metarl wasm kernels: tensor is not on the wasm backend');
  return d;
}

function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (t == null) throw new Error(`metarl wasm kernels: missing input '${name}'`);
  return t;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** Registers a tensor id on `size` floats of the wasm heap at `byteOffset` (no allocation). */
function makeView(be: WasmBackendLike, byteOffset: number, size: number): number {
  const id = be.dataIdNextNumber++;
  be.wasm.tfjs.registerTensor(id, size, byteOffset);
  return id;
}

/** Unregisters a view (runs the C++ disposal callbacks, e.g. XNNPACK operator caches; frees nothing). */
function dropView(be: WasmBackendLike, id: number): void {
  be.wasm.tfjs.disposeData(id);
}

/** out[rows, N] = a[rows, K] · b[K, N], all row-major, through the XNNPACK path. */
function gemm(aId: number, rows: number, k: number, bId: number, n: number, outId: number): void {
  if (cMatMul == null) throw new Error('metarl wasm kernels: not set up (is the wasm backend active?)');
  cMatMul(aId, shapeBytes([1, rows, k]), 3, bId, shapeBytes([1, k, n]), 3, 0, 0, outId);
}

/** Materialises x with its last two dimensions swapped, via the registered wasm Transpose kernel. */
function transposeLast2(x: tf.TensorInfo, backend: object): tf.TensorInfo {
  const r = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  const kernel = tf.getKernel(tf.Transpose, WASM);
  return kernel.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/** Flat index into a (right-aligned, broadcast) batch shape `inShape` for flat index `o` of `outShape`. */
function broadcastIndex(o: number, outShape: number[], inShape: number[]): number {
  let idx = 0;
  let stride = 1;
  let rest = o;
  const offset = outShape.length - inShape.length;
  for (let d = outShape.length - 1; d >= 0; d--) {
    const size = outShape[d]!;
    const coord = rest % size;
    rest = (rest - coord) / size;
    const di = d - offset;
    if (di >= 0) {
      const inSize = inShape[di]!;
      if (inSize !== 1) idx += coord * stride;
      stride *= inSize;
    }
  }
  return idx;
}

function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const be = backend as WasmBackendLike;
  const a = input(inputs, 'a');
  const b = input(inputs, 'b');
  const transposeA = Boolean(attrs?.['transposeA']);
  const transposeB = Boolean(attrs?.['transposeB']);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error('BatchMatMul for non-float32 tensors is not supported on wasm');
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) throw new Error(`matMul: operands must have rank >= 2, got ${ra} and ${rb}`);
  const m = (transposeA ? a.shape[ra - 1] : a.shape[ra - 2])!;
  const k = (transposeA ? a.shape[ra - 2] : a.shape[ra - 1])!;
  const kb = (transposeB ? b.shape[rb - 1] : b.shape[rb - 2])!;
  const n = (transposeB ? b.shape[rb - 2] : b.shape[rb - 1])!;
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  const out = be.makeOutput([...outBatchShape, m, n], 'float32');
  const outBatch = tf.util.sizeFromShape(outBatchShape);
  if (outBatch * m * n === 0) return out;
  if (k === 0) {
    be.typedArrayFromHeap(out).fill(0);
    return out;
  }

  const temps: tf.TensorInfo[] = [];
  try {
    // Row-major [.., m, k] and [.., k, n] operands.
    let aRows = a;
    if (transposeA) {
      aRows = transposeLast2(a, backend);
      temps.push(aRows);
    }
    let bRows = b;
    if (transposeB) {
      bRows = transposeLast2(b, backend);
      temps.push(bRows);
    }
    const batchA = tf.util.sizeFromShape(batchShapeA);
    const batchB = tf.util.sizeFromShape(batchShapeB);
    const aData = dataOf(be, aRows);
    const bData = dataOf(be, bRows);
    const outData = dataOf(be, out);

    if (batchB === 1) {
      // Shared right operand: every batch of A becomes rows of one product.
      // (Here outBatch === batchA.)
      gemm(aData.id, batchA * m, k, bData.id, n, outData.id);
    } else {
      const aSize = m * k;
      const bSize = k * n;
      const oSize = m * n;
      for (let o = 0; o < outBatch; o++) {
        const ia = batchA === 1 ? 0 : broadcastIndex(o, outBatchShape, batchShapeA);
        const ib = broadcastIndex(o, outBatchShape, batchShapeB);
        const aId = batchA === 1 ? aData.id : makeView(be, aData.memoryOffset + ia * aSize * BYTES_F32, aSize);
        const bId = makeView(be, bData.memoryOffset + ib * bSize * BYTES_F32, bSize);
        const oId = makeView(be, outData.memoryOffset + o * oSize * BYTES_F32, oSize);
        try {
          gemm(aId, m, k, bId, n, oId);
        } finally {
          if (aId !== aData.id) dropView(be, aId);
          dropView(be, bId);
          dropView(be, oId);
        }
      }
    }
  } finally {
    for (const t of temps) be.disposeData(t.dataId);
  }
  return out;
}

/** tanh(x) for |x| < TAYLOR_CUTOFF from its odd Taylor series (terms up to x^9). */
const TAYLOR_CUTOFF = 0.1;
const T3 = -1 / 3;
const T5 = 2 / 15;
const T7 = -17 / 315;
const T9 = 62 / 2835;

/**
 * os = 2 * os - 1 (os holds sigmoid(2x)), except where |x| < TAYLOR_CUTOFF,
 * which takes the series. Written with a select rather than a branch: the
 * data-dependent branch mispredicts and made this loop ~3x slower.
 */
function finishTanh(xs: Float32Array, os: Float32Array, size: number): void {
  const c2 = TAYLOR_CUTOFF * TAYLOR_CUTOFF;
  for (let i = 0; i < size; i++) {
    const v = xs[i]!;
    const v2 = v * v;
    const series = v * (1 + v2 * (T3 + v2 * (T5 + v2 * (T7 + v2 * T9))));
    const viaSigmoid = 2 * os[i]! - 1;
    os[i] = v2 < c2 ? series : viaSigmoid;
  }
}

function tanh(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const be = backend as WasmBackendLike;
  const x = input(inputs, 'x');
  if (x.dtype !== 'float32') {
    const stock = stockKernels.get(tf.Tanh);
    if (stock == null) throw new Error('metarl wasm kernels: stock Tanh kernel missing');
    return stock.kernelFunc(args) as tf.TensorInfo;
  }
  if (cSigmoid == null) throw new Error('metarl wasm kernels: not set up (is the wasm backend active?)');
  const size = tf.util.sizeFromShape(x.shape);
  if (size === 0) return be.makeOutput(x.shape, 'float32');
  // 2x as x + x with the wasm Add kernel: exact, like the JS loop it replaces, and ~6x faster.
  const add = tf.getKernel(tf.Add, WASM);
  if (add == null) throw new Error('metarl wasm kernels: wasm Add kernel missing');
  const out = add.kernelFunc({ inputs: { a: x, b: x }, backend, attrs: {} }) as tf.TensorInfo;
  const outId = dataOf(be, out).id;
  cSigmoid(outId, outId); // elementwise, in place
  // The calls may have grown the wasm memory (which detaches old views): take views only now.
  const xs = be.typedArrayFromHeap(x) as Float32Array;
  const os = be.typedArrayFromHeap(out) as Float32Array;
  finishTanh(xs, os, size);
  return out;
}

/** The same data under a new tensor (reference count raised); tensors are immutable. */
function share(be: WasmBackendLike, x: tf.TensorInfo): tf.TensorInfo {
  be.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function identity(args: { inputs: tf.NamedTensorInfoMap; backend: object }): tf.TensorInfo {
  const x = input(args.inputs, 'x');
  if (x.dtype === 'string') {
    const stock = stockKernels.get(tf.Identity);
    if (stock == null) throw new Error('metarl wasm kernels: stock Identity kernel missing');
    return stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  return share(args.backend as WasmBackendLike, x);
}

function cast(args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = input(args.inputs, 'x');
  if (x.dtype !== args.attrs?.['dtype'] || x.dtype === 'string') {
    const stock = stockKernels.get(tf.Cast);
    if (stock == null) throw new Error('metarl wasm kernels: stock Cast kernel missing');
    return stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  return share(args.backend as WasmBackendLike, x);
}

/** Stock configs saved when our kernels replace them. */
const stockKernels = new Map<string, tf.KernelConfig>();

const overrides: tf.KernelConfig[] = [
  { kernelName: tf.BatchMatMul, backendName: WASM, kernelFunc: batchMatMul as tf.KernelFunc, setupFunc: setup },
  { kernelName: tf.Tanh, backendName: WASM, kernelFunc: tanh as tf.KernelFunc, setupFunc: setup },
  { kernelName: tf.Identity, backendName: WASM, kernelFunc: identity as tf.KernelFunc },
  { kernelName: tf.Cast, backendName: WASM, kernelFunc: cast as tf.KernelFunc },
];

/** The wasm backend instance if it has been initialised (without triggering initialisation). */
function initializedWasmBackend(): object | null {
  const registry = (tf.engine() as unknown as { registry: Record<string, object | undefined> }).registry;
  return registry[WASM] ?? null;
}

/** Whether the wasm matmul and tanh speed fixes are registered. */
export function wasmKernelFixesInstalled(): boolean {
  return stockKernels.size > 0;
}

/**
 * Replaces the wasm BatchMatMul, Tanh, Identity and Cast kernels. The wasm backend must be
 * registered; if it is already initialised the kernels are set up at once,
 * otherwise the engine does it when the backend is set. Idempotent.
 */
export function installWasmKernelFixes(): void {
  if (wasmKernelFixesInstalled()) return;
  if (tf.findBackendFactory(WASM) == null) {
    throw new Error('metarl: wasm kernel fixes need the wasm backend (import @tensorflow/tfjs-backend-wasm first)');
  }
  for (const cfg of overrides) {
    const stock = tf.getKernel(cfg.kernelName, WASM);
    if (stock == null) throw new Error(`metarl: stock wasm kernel ${cfg.kernelName} not registered`);
    stockKernels.set(cfg.kernelName, stock);
  }
  for (const cfg of overrides) {
    tf.unregisterKernel(cfg.kernelName, WASM);
    tf.registerKernel(cfg);
  }
  const instance = initializedWasmBackend();
  if (instance != null) setup(instance);
}

/** Restores the stock wasm kernels. */
export function uninstallWasmKernelFixes(): void {
  if (!wasmKernelFixesInstalled()) return;
  const instance = initializedWasmBackend();
  for (const [name, stock] of stockKernels) {
    tf.unregisterKernel(name, WASM);
    tf.registerKernel(stock);
    // If the backend was set up while our kernels were registered, the stock
    // kernel has not bound its C function yet.
    if (instance != null && stock.setupFunc != null) stock.setupFunc(instance);
  }
  stockKernels.clear();
}
