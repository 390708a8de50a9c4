/**
 * A fixed pool of `worker_threads` with request/reply messaging that fails fast.
 *
 * Every worker runs `entry` (a TypeScript module loaded through tsx, or its compiled `.js`: see worker-bootstrap.mjs),
 * which calls {@link serveWorker} with an init function returning its operations. The main thread
 * then calls `pool.call(worker, op, args)`; each worker serves its calls one at a time, in order.
 *
 * Failure handling (pitfalls, "From the Python references" 2: a dead sampler worker must never
 * leave training waiting forever): an operation that throws, an uncaught error, a worker that
 * exits, or a message that cannot be deserialised rejects the pending calls with a
 * {@link WorkerFailedError} naming the worker and the item it was working on (set by the worker with
 * {@link markItem}, kept in shared memory so it survives the worker's death). The first failure
 * breaks the pool: all workers are terminated and every later call rejects with the same error.
 * Nothing is retried.
 *
 * Idle workers are `unref`'d, so a pool that was never closed does not keep the process alive.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { PoolHandle, WorkerPoolModule, WorkerPoolOptions } from './pool-types.ts';
import { buildIsFresh, fromSourceRequested } from '../bin/build-state.mjs';

/** An operation a worker serves: takes the call's arguments, returns a result (optionally with buffers to transfer). */
export type WorkerOp = (args: never) => unknown;
/** What `init` returns in a worker: its operations by name. */
export type WorkerOps = Record<string, WorkerOp>;

/** A result together with the buffers to move (not copy) to the main thread. */
export class Transfer<T> {
  readonly value: T;
  readonly transfer: ArrayBuffer[];

  /**
   * @param value what the operation returns.
   * @param transfer the buffers inside `value` to move to the main thread (they are unusable in the
   *   worker after).
   */
  constructor(
    value: T,
    transfer: ArrayBuffer[],
  ) {
    this.value = value;
    this.transfer = transfer;
  }
}

/** Why a pool call failed: the worker, the item it was processing (or null), and the reason. */
export class WorkerFailedError extends Error {
  /** Index of the worker in the pool. */
  readonly worker: number;
  /** The item (e.g. task index) last marked by the worker with {@link markItem}, or null. */
  readonly item: number | null;
  /** The operation that was running, if any. */
  readonly op: string | null;
  /** The worker's error message, or how it died. */
  readonly reason: string;
  /** Extra fields the worker's error carried (own enumerable properties, JSON-safe). */
  readonly details: Record<string, unknown>;
  /** The worker-side stack, if it threw. */
  readonly workerStack?: string | undefined;

  /**
   * @param worker index of the worker in the pool.
   * @param item the item (e.g. task index) last marked by the worker with {@link markItem}, or null.
   * @param op the operation that was running, if any.
   * @param reason the worker's error message, or how it died.
   * @param details extra fields the worker's error carried (own enumerable properties, JSON-safe).
   * @param workerStack the worker-side stack, if it threw.
   */
  constructor(
    worker: number,
    item: number | null,
    op: string | null,
    reason: string,
    details: Record<string, unknown> = {},
    workerStack?: string,
  ) {
    super(`worker ${worker}${op ? ` (${op}${item !== null ? `, item ${item}` : ''})` : ''}: ${reason}`);
    this.worker = worker;
    this.item = item;
    this.op = op;
    this.reason = reason;
    this.details = details;
    this.workerStack = workerStack;
    this.name = 'WorkerFailedError';
  }
}

/** Options of {@link WorkerPool.start}. */
export type { WorkerPoolOptions } from './pool-types.ts';

interface Pending {
  op: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** [0]: item marked by the worker, −1 for none. */
  item: Int32Array;
  pending: Map<number, Pending>;
}

type Reply =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number | null; error: SerialisedError };

interface SerialisedError {
  name: string;
  message: string;
  stack?: string | undefined;
  item?: number | undefined;
  details: Record<string, unknown>;
}

const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);

/**
 * The module the workers of a pool started with `entry` and `compiled` (see WorkerPoolOptions) run:
 * `entry`'s compiled sibling (`x.js` for `x.ts`) when `compiled` is set, metarl's build is up to date
 * and the TypeScript is not asked for (METARL_FROM_SOURCE); else `entry`.
 */
export function workerEntry(entry: URL, compiled = false): URL {
  if (!compiled || !entry.pathname.endsWith('.ts') || fromSourceRequested()) return entry;
  return buildIsFresh(fileURLToPath(new URL('..', import.meta.url))) ? new URL(entry.href.replace(/\.ts$/, '.js')) : entry;
}

/** A fixed set of worker threads; see the module comment. */
export class WorkerPool implements PoolHandle {
  private broken: WorkerFailedError | null = null;
  private closing = false;
  private nextId = 0;
  private readonly slots: Slot[];
  readonly name: string;

  private constructor(
    slots: Slot[],
    name: string,
  ) {
    this.slots = slots;
    this.name = name;
  }

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  /**
   * Starts `size` workers and waits until every one has run its init function. Rejects (after
   * terminating the others) if any worker fails to start.
   */
  static async start(opts: WorkerPoolOptions): Promise<WorkerPool> {
    if (!(Number.isInteger(opts.size) && opts.size >= 1)) throw new RangeError(`WorkerPool: size must be a positive integer, got ${opts.size}`);
    const slots: Slot[] = [];
    const ready: Promise<void>[] = [];
    const entry = workerEntry(opts.entry, opts.compiled);
    for (let w = 0; w < opts.size; w++) {
      const item = new Int32Array(new SharedArrayBuffer(4));
      item[0] = -1;
      // The bootstrap registers tsx in the worker for a `.ts` entry (hooks registered in the main thread do not
      // reach workers in Node 20) and then imports `entry`. Inherited execArgv would register tsx twice.
      const worker = new Worker(BOOTSTRAP, {
        workerData: { entry: entry.href, item, init: opts.init(w) },
        execArgv: [],
      });
      const slot: Slot = { worker, item, pending: new Map() };
      slots.push(slot);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMessage = (m: Reply) => {
            if (m.kind === 'ready') done(null);
            else if (m.kind === 'error') done(new WorkerFailedError(w, null, 'init', m.error.message, m.error.details, m.error.stack));
          };
          const onError = (e: Error) => done(new WorkerFailedError(w, null, 'init', e.message, {}, e.stack));
          const onExit = (code: number) => done(new WorkerFailedError(w, null, 'init', `exited with code ${code} while starting`));
          const done = (e: Error | null) => {
            worker.off('message', onMessage);
            worker.off('error', onError);
            worker.off('exit', onExit);
            if (e) reject(e);
            else resolve();
          };
          worker.on('message', onMessage);
          worker.on('error', onError);
          worker.on('exit', onExit);
        }),
      );
    }
    const settled = await Promise.allSettled(ready);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw failure.reason;
    }
    const pool = new WorkerPool(slots, opts.name ?? 'worker pool');
    slots.forEach((s, w) => pool.watch(s, w));
    return pool;
  }

  private watch(slot: Slot, w: number): void {
    const { worker } = slot;
    worker.on('message', (m: Reply) => {
      if (m.kind === 'result') {
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        if (slot.pending.size === 0) worker.unref();
        p.resolve(m.value);
      } else if (m.kind === 'error') {
        const op = m.id !== null ? (slot.pending.get(m.id)?.op ?? null) : null;
        this.fail(new WorkerFailedError(w, m.error.item ?? this.itemOf(slot), op, m.error.message, m.error.details, m.error.stack));
      }
    });
    worker.on('error', (e: Error) => this.fail(new WorkerFailedError(w, this.itemOf(slot), this.opOf(slot), `uncaught ${e.name}: ${e.message}`, {}, e.stack)));
    worker.on('messageerror', (e: Error) => this.fail(new WorkerFailedError(w, this.itemOf(slot), this.opOf(slot), `message could not be deserialised: ${e.message}`)));
    worker.on('exit', (code: number) => {
      if (!this.closing) this.fail(new WorkerFailedError(w, this.itemOf(slot), this.opOf(slot), `worker thread exited unexpectedly with code ${code}`));
    });
    worker.unref();
  }

  private itemOf(slot: Slot): number | null {
    const i = Atomics.load(slot.item, 0);
    return i >= 0 ? i : null;
  }

  private opOf(slot: Slot): string | null {
    const first = slot.pending.values().next();
    return first.done ? null : first.value.op;
  }

  /** Breaks the pool: rejects every pending call with `err` and terminates all workers. */
  private fail(err: WorkerFailedError): void {
    if (this.broken) return;
    this.broken = err;
    for (const s of this.slots) {
      const pending = [...s.pending.values()];
      s.pending.clear();
      for (const p of pending) p.reject(err);
    }
    this.closing = true;
    for (const s of this.slots) void s.worker.terminate();
  }

  /** The error that broke the pool, or null while it is healthy. */
  get failure(): WorkerFailedError | null {
    return this.broken;
  }

  /**
   * Calls operation `op` on worker `w` with `args` (structured-cloned; buffers in `transfer` are
   * moved). Calls to one worker run in the order they were made.
   */
  call<R>(w: number, op: string, args: unknown, transfer: ArrayBuffer[] = []): Promise<R> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closing) return Promise.reject(new Error(`${this.name}: closed`));
    const slot = this.slots[w];
    if (!slot) return Promise.reject(new RangeError(`${this.name}: no worker ${w} (size ${this.slots.length})`));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      slot.pending.set(id, { op, resolve: resolve as (v: unknown) => void, reject });
      slot.worker.ref();
      try {
        slot.worker.postMessage({ id, op, args }, transfer);
      } catch (e) {
        slot.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  /** Terminates every worker. Pending calls are rejected. Idempotent. */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const s of this.slots) {
        const pending = [...s.pending.values()];
        s.pending.clear();
        for (const p of pending) p.reject(new Error(`${this.name}: closed while '${p.op}' was running`));
      }
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Worker side

let itemCell: Int32Array | null = null;

/**
 * In a worker: records the item (e.g. task index) being processed, so that if the worker throws or
 * dies the main thread can say which one. No-op on the main thread.
 */
export function markItem(item: number): void {
  if (itemCell) Atomics.store(itemCell, 0, item);
}

function serialiseError(e: unknown): SerialisedError {
  if (e instanceof Error) {
    const details: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e)) {
      try {
        details[k] = JSON.parse(JSON.stringify(v)) as unknown;
      } catch {
        details[k] = String(v);
      }
    }
    const item = typeof details['item'] === 'number' ? details['item'] : undefined;
    return { name: e.name, message: `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`, stack: e.stack, item, details };
  }
  return { name: 'Error', message: String(e), details: {} };
}

/**
 * The body of a worker module: runs `init(workerData.init)` once, then serves calls to the
 * operations it returned, one at a time. An operation that throws is reported to the main thread
 * (which breaks the pool); an error's own `item` property, if a number, names the item.
 */
export function serveWorker(init: (data: never) => WorkerOps | Promise<WorkerOps>): void {
  if (isMainThread || !parentPort) throw new Error('serveWorker: must run inside a worker thread');
  const port = parentPort;
  const data = workerData as { item: Int32Array; init: unknown };
  itemCell = data.item;
  let queue: Promise<void> = Promise.resolve();
  const opsPromise = Promise.resolve().then(() => init(data.init as never));
  opsPromise.then(
    () => port.postMessage({ kind: 'ready' } satisfies Reply),
    (e: unknown) => port.postMessage({ kind: 'error', id: null, error: serialiseError(e) } satisfies Reply),
  );
  port.on('message', (m: { id: number; op: string; args: unknown }) => {
    queue = queue.then(async () => {
      markItem(-1);
      try {
        const ops = await opsPromise;
        const f = ops[m.op];
        if (!f) throw new Error(`unknown operation ${JSON.stringify(m.op)}`);
        const out = await (f as (a: unknown) => unknown)(m.args);
        if (out instanceof Transfer) port.postMessage({ kind: 'result', id: m.id, value: out.value } satisfies Reply, out.transfer);
        else port.postMessage({ kind: 'result', id: m.id, value: out } satisfies Reply);
      } catch (e) {
        port.postMessage({ kind: 'error', id: m.id, error: serialiseError(e) } satisfies Reply);
      }
      markItem(-1); // idle: a death now is not attributed to the last item
    });
  });
}

// The learners load this module as a WorkerPoolModule (pool-types.ts): keep the two in step.
void (WorkerPool satisfies WorkerPoolModule['WorkerPool']);
