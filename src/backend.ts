/**
 * Backend selection for metarl.
 *
 * All code in the project imports tfjs as `import * as tf from '#tfjs'` (./tfjs.ts; in a
 * page ./tfjs-page.ts, tfjs-core and the cpu backend without WebGL). The optional backends
 * below register themselves into the engine of the one installed @tensorflow/tfjs-core (the
 * engine and the kernel registry live on the global object, and package.json pins a single
 * 4.22.0 everywhere), so after `initBackend` every `tf.*` call runs on the chosen backend.
 *
 * Whatever the backend, `initBackend` installs (unless told not to) the
 * second-order gradient fix (./tfjs-second-order-fix.ts) before returning, and
 * on wasm the faster BatchMatMul/Tanh kernels (./wasm-kernels.ts).
 */
import { BACKEND_NAMES, isBackendName, type BackendName } from './backend-names.ts';
import { ConfigError, opt } from './config.ts';
import { didYouMean } from './suggest.ts';
import * as tf from '#tfjs';
import {
  checkSecondOrderGradients,
  installSecondOrderFix,
  secondOrderFixInstalled,
  uninstallSecondOrderFix,
} from './tfjs-second-order-fix.ts';
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from './wasm-kernels.ts';

export { secondOrderFixInstalled };

export { BACKEND_NAMES, type BackendName };

/**
 * Lets tfjs start its own default backend when no backend is running yet (code that trains without
 * {@link initBackend}), so that what a run records as its backend is the one it runs on, not
 * "none" (found by a library trial). A running backend is left as it is.
 */
export async function settleBackend(): Promise<void> {
  if (!tf.getBackend()) await tf.ready();
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Receives the one summary line (default: `console.error` in Node, on stderr with the logs; `console.info` in a page, where an error would be red). */
  log?: (line: string) => void;
  /** Install the tape-order fix for higher-order gradients (default true). */
  secondOrderFix?: boolean;
  /** On wasm, replace BatchMatMul and Tanh by faster kernels (default true). */
  wasmKernelFixes?: boolean;
  /**
   * For wasm in a page: the URL (ending in `/`) where the page serves the `.wasm` files of
   * @tensorflow/tfjs-backend-wasm (its `dist/*.wasm`), set before the backend starts. Default: in
   * Node, the package's own folder; in a page, tfjs's default (next to the bundle), or what the
   * page gave `setWasmPaths` itself.
   */
  wasmPaths?: string;
}

type ConcreteBackend = Exclude<BackendName, 'auto'>;

interface InitState {
  requested: BackendName;
  resolved: ConcreteBackend;
  tfBackend: string;
  secondOrderFix: boolean;
  wasmKernelFixes: boolean;
}

let state: InitState | null = null;
/** Serialises concurrent calls. */
let queue: Promise<unknown> = Promise.resolve();

const NATIVE_PACKAGES: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/** Whether this runs in Node (not a page). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return p?.versions?.node != null;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0]!;
  if (typeof e === 'object' && e != null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** A dynamic import that bundlers and tsc leave alone (for optional or Node-only modules). */
function importOptional<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<T>;
}

/** Throws an Error describing why `name` could not be loaded. */
async function loadNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<void> {
  const pkg = NATIVE_PACKAGES[name];
  if (!isNode()) throw new Error(`metarl: backend '${name}' needs Node.js (${pkg} is a native addon)`);
  try {
    await importOptional(pkg);
  } catch (e) {
    throw new Error(`metarl: backend '${name}' could not be loaded: import of ${pkg} failed: ${errorText(e)}`);
  }
  if (tf.findBackendFactory('tensorflow') == null) {
    throw new Error(
      `metarl: backend '${name}': ${pkg} loaded but registered no 'tensorflow' backend into this ` +
        'tfjs instance (is there a second copy of @tensorflow/tfjs-core?)',
    );
  }
  const ok = await tf.setBackend('tensorflow');
  if (!ok) throw new Error(`metarl: backend '${name}': tf.setBackend('tensorflow') failed (see tfjs warning above)`);
}

/**
 * In Node, the emscripten glue of the wasm backend registers process-wide
 * `uncaughtException`/`unhandledRejection` handlers that merely rethrow; as a
 * result every uncaught error in the program is reported at a line of the
 * minified glue and Node prints that ~100 kB line. Returns a function that
 * removes the handlers added since this call, restoring Node's default
 * reporting (the process still exits on uncaught errors).
 */
function dropNewProcessHandlers(): () => void {
  type Listener = (...args: unknown[]) => void;
  const proc = (globalThis as { process?: unknown }).process as
    | { listeners(ev: string): Listener[]; removeListener(ev: string, l: Listener): unknown }
    | undefined;
  if (!isNode() || proc == null || typeof proc.listeners !== 'function') return () => undefined;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((ev) => proc.listeners(ev));
  return () => {
    events.forEach((ev, i) => {
      for (const l of proc.listeners(ev)) {
        if (!before[i]!.includes(l)) proc.removeListener(ev, l);
      }
    });
  };
}

async function loadWasm(wasmPaths: string | undefined): Promise<void> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm'); // registers the 'wasm' backend factory
  } catch (e) {
    throw new Error(`metarl: backend 'wasm' could not be loaded: import of @tensorflow/tfjs-backend-wasm failed: ${errorText(e)}`);
  }
  if (tf.findBackendFactory('wasm') == null) {
    throw new Error(
      "metarl: backend 'wasm': @tensorflow/tfjs-backend-wasm loaded but registered no backend into this " +
        'tfjs instance (is there a second copy of @tensorflow/tfjs-core?)',
    );
  }
  const initialised = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry['wasm'] != null;
  if (wasmPaths !== undefined && !initialised) wasm.setWasmPaths(wasmPaths);
  else if (isNode() && !initialised) {
    // In Node the emscripten loader reads the .wasm binaries from disk:
    // point it at the package's dist folder, wherever node_modules is.
    try {
      // Structural types: a page's type check has no Node types to name these modules by.
      const { createRequire } = await importOptional<{ createRequire(url: string): { resolve(id: string): string } }>('node:module');
      const path = await importOptional<{ dirname(p: string): string; sep: string }>('node:path');
      const require = createRequire(import.meta.url);
      const file = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
      wasm.setWasmPaths(path.dirname(file) + path.sep);
    } catch (e) {
      throw new Error(`metarl: backend 'wasm': cannot locate the .wasm binaries in node_modules: ${errorText(e)}`);
    }
  }
  let ok: boolean;
  const restoreHandlers = dropNewProcessHandlers();
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    throw new Error(`metarl: backend 'wasm' failed to initialise: ${errorText(e)}`);
  } finally {
    restoreHandlers();
  }
  if (!ok) {
    // In a page the usual cause: the .wasm binaries were not found where tfjs looked for them.
    const g = globalThis as { location?: { href?: string }; WorkerGlobalScope?: abstract new () => unknown };
    const hint = isNode() ? '' : wasmPathsHint(wasmPaths, g.location?.href, g.WorkerGlobalScope !== undefined && globalThis instanceof g.WorkerGlobalScope);
    throw new Error(`metarl: backend 'wasm' failed to initialise (tf.setBackend('wasm') returned false)${hint}`);
  }
}

/**
 * What the wasm backend's failure in a page says (found by a trial in a Web Worker, where a
 * relative `wasmPaths` resolves against the worker's script, not the page): where to serve the
 * `.wasm` files, where tfjs looked (`wasmPaths` resolved against `base`, the page's or worker's
 * URL), and how to read tfjs's reason in the console.
 * @param wasmPaths the `wasmPaths` given to `initBackend`, if any.
 * @param base `location.href` of the page or worker, if known.
 * @param inWorker whether this runs in a Web Worker.
 */
export function wasmPathsHint(wasmPaths: string | undefined, base: string | undefined, inWorker: boolean): string {
  let looked: string;
  if (wasmPaths === undefined) looked = 'no wasmPaths was given, so tfjs looked beside the script that loaded it';
  else {
    let url = wasmPaths;
    try {
      if (base !== undefined) url = new URL(wasmPaths, base).href;
    } catch {
      // not a URL tfjs could fetch either; shown as given
    }
    looked = `tfjs looked in ${url}`;
  }
  const relative = wasmPaths === undefined || !/^([a-z][a-z0-9+.-]*:|\/)/i.test(wasmPaths);
  const worker = inWorker && relative ? "; in a Web Worker a relative URL resolves against the worker's script, not the page: give one from the site's root ('/tfjs-wasm/')" : '';
  return `; in a page, serve the .wasm files of @tensorflow/tfjs-backend-wasm (its dist/*.wasm) and pass their URL as initBackend('wasm', { wasmPaths: '/their/url/' }) (${looked}${worker}; the console shows tfjs's reason: a 404 names the file, and 'expected magic word 00 61 73 6d, found 3c 21 …' means the server answered with an HTML page instead, as a dev server such as Vite's does for a missing file)`;
}

async function loadCpu(): Promise<void> {
  const ok = await tf.setBackend('cpu');
  if (!ok) throw new Error("metarl: backend 'cpu' failed to initialise");
  // The cpu backend prints a multi-line "install tfjs-node" banner on first use
  // in Node; we log our own line instead.
  const be = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in be) be.firstUse = false;
}

async function load(name: ConcreteBackend, wasmPaths: string | undefined): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return loadNative(name);
    case 'wasm':
      return loadWasm(wasmPaths);
    case 'cpu':
      return loadCpu();
  }
}

/**
 * Loads the backend `name` (for `auto`, the first that loads). `passedOver` is why `auto` did not
 * take wasm when it fell back to cpu (null otherwise: the native packages are optional and
 * normally not installed, so passing over them says nothing).
 */
async function resolveAndLoad(name: BackendName, wasmPaths: string | undefined): Promise<{ resolved: ConcreteBackend; passedOver: string | null }> {
  if (name !== 'auto') {
    try {
      await load(name, wasmPaths);
    } catch (e) {
      // A backend asked for by name that is not there: what to do about it, not a stack.
      const text = errorText(e);
      if (name === 'tensorflow' || name === 'tensorflow-gpu') {
        const missing = /Cannot find (package|module)/.test(text);
        const why = missing ? `${NATIVE_PACKAGES[name]} is not installed (an optional dependency: its install downloads libtensorflow, which needs the internet)` : `could not be loaded: ${text.replace(/^metarl: backend '[^']+':? (could not be loaded: )?/, '')}`;
        throw new ConfigError(opt('backend'), name, `${why}; use auto (the first backend that loads), wasm or cpu`);
      }
      throw e;
    }
    return { resolved: name, passedOver: null };
  }
  const candidates: ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
  const failures: string[] = [];
  for (const c of candidates) {
    try {
      await load(c, wasmPaths);
      return { resolved: c, passedOver: c === 'cpu' ? (failures[candidates.indexOf('wasm')] ?? null) : null };
    } catch (e) {
      failures.push(errorText(e));
    }
  }
  throw new Error(`metarl: no backend could be loaded:\n  ${failures.join('\n  ')}`);
}

function applyFixes(resolved: ConcreteBackend, secondOrderFix: boolean, wasmKernelFixes: boolean): void {
  if (secondOrderFix) {
    installSecondOrderFix();
    const err = checkSecondOrderGradients();
    if (!(err < 1e-4)) {
      uninstallSecondOrderFix();
      throw new Error(
        `metarl: the second-order gradient fix is installed but its self-check failed (error ${err}); ` +
          `tfjs ${tf.version_core} may have changed its engine internals`,
      );
    }
  } else {
    uninstallSecondOrderFix();
  }
  if (resolved === 'wasm' && wasmKernelFixes) installWasmKernelFixes();
  else if (wasmKernelFixesInstalled()) uninstallWasmKernelFixes();
}

/**
 * Selects and initialises the tfjs backend and installs the fixes.
 *
 * - `auto`: the first of tfjs-node-gpu, tfjs-node (optional, normally not
 *   installed), wasm, cpu that loads.
 * - an explicit name that cannot be loaded throws an Error naming the backend
 *   and the reason (a {@link ConfigError} for a native package that is not installed or does not
 *   load); a name that is none of these, a {@link ConfigError}.
 *
 * Calling again with the same name and options is a no-op. With another name
 * or other options it switches backend / toggles the fixes and logs again.
 *
 * `opts`: `log` receives the one line naming the backend (default `console.error` in Node, `console.info` in a page);
 * `secondOrderFix` (default true) installs the fix without which tfjs's second-order gradients
 * are silently wrong (MAML needs it); `wasmKernelFixes` (default true) the faster wasm kernels.
 */
export function initBackend(name: BackendName = 'auto', opts: InitBackendOptions = {}): Promise<{ backend: string }> {
  if (!isBackendName(name)) return Promise.reject(new ConfigError(opt('backend'), name, `must be one of ${BACKEND_NAMES.join(', ')}${typeof name === 'string' ? didYouMean(name, BACKEND_NAMES) : ''}`));
  const problem = backendOptionsProblem(opts);
  if (problem !== null) return Promise.reject(problem);
  const run = queue.then(() => initBackendNow(name, opts));
  queue = run.catch(() => undefined);
  return run;
}

/** The option of {@link initBackend} that is unknown or of the wrong type, as a ConfigError; null when all are fine. */
function backendOptionsProblem(opts: InitBackendOptions): ConfigError | null {
  if (typeof opts !== 'object' || opts === null) return new ConfigError('options', opts, 'must be an object ({ log, secondOrderFix, wasmKernelFixes, wasmPaths }, each optional)');
  const known = ['log', 'secondOrderFix', 'wasmKernelFixes', 'wasmPaths'];
  for (const [k, v] of Object.entries(opts)) {
    if (!known.includes(k)) return new ConfigError(k, v, `is not an option of initBackend (${known.join(', ')})${didYouMean(k, known)}`);
    if (v === undefined) continue;
    if (k === 'wasmPaths') {
      if (typeof v !== 'string' || !v.endsWith('/')) return new ConfigError(k, v, "must be the URL of the folder serving the .wasm files, ending in '/' (e.g. '/tfjs-wasm/')");
      continue;
    }
    if (k === 'log' ? typeof v !== 'function' : typeof v !== 'boolean') return new ConfigError(k, v, k === 'log' ? 'must be a function taking one line of text' : 'must be true or false');
  }
  return null;
}

async function initBackendNow(name: BackendName, opts: InitBackendOptions): Promise<{ backend: string }> {
  const secondOrderFix = opts.secondOrderFix ?? true;
  const wasmKernelFixes = opts.wasmKernelFixes ?? true;
  const log = opts.log ?? ((line: string) => (isNode() ? console.error(line) : console.info(line)));

  if (
    state != null &&
    (name === state.requested || name === state.resolved) &&
    state.secondOrderFix === secondOrderFix &&
    (state.resolved !== 'wasm' ||
      (state.wasmKernelFixes === wasmKernelFixes && wasmKernelFixesInstalled() === wasmKernelFixes)) &&
    tf.getBackend() === state.tfBackend &&
    secondOrderFixInstalled() === secondOrderFix
  ) {
    return { backend: state.tfBackend };
  }

  let resolved: ConcreteBackend;
  let passedOver: string | null = null;
  if (state != null && (name === state.requested || name === state.resolved) && tf.getBackend() === state.tfBackend) {
    resolved = state.resolved; // same backend, only the options changed
  } else {
    ({ resolved, passedOver } = await resolveAndLoad(name, opts.wasmPaths));
  }
  await tf.ready();
  applyFixes(resolved, secondOrderFix, wasmKernelFixes);

  const tfBackend = tf.getBackend();
  state = { requested: name, resolved, tfBackend, secondOrderFix, wasmKernelFixes };
  const parts = [`tfjs ${tf.version_core}`, `second-order fix ${secondOrderFix ? 'on' : 'off'}`];
  if (resolved === 'wasm') parts.push(`wasm kernel fixes ${wasmKernelFixes ? 'on' : 'off'}`);
  // auto on cpu because wasm failed (a page whose wasmPaths is wrong): slower, with other numbers; say why.
  if (passedOver !== null) parts.push(`auto took cpu: ${passedOver.replace(/^metarl: /, '')}`);
  log(`metarl: backend ${resolved} (${parts.join(', ')})`);
  return { backend: tfBackend };
}
