/**
 * The types of the worker pool that code running in a browser page too may name (MamlTrpo starts a
 * pool only in Node, with more than one worker): no import of `node:worker_threads`, so a page's
 * type check does not need Node's types. The pool itself is in `worker-pool.ts` (Node only).
 */

/** How {@link PoolHandle}s are started: `WorkerPool.start`'s options. */
export interface WorkerPoolOptions {
  /** URL of the module every worker runs; it must call `serveWorker`. `.ts` is fine. */
  entry: URL;
  /**
   * Run a `.ts` entry's compiled `.js` beside it instead when metarl's build is up to date
   * (scripts/build.mjs; not with METARL_FROM_SOURCE=1): the workers then start without tsx's loader,
   * about half a second sooner. For metarl's own worker modules when the workers load no module of
   * the caller's (an env module imports metarl's TypeScript). Default false.
   */
  compiled?: boolean;
  /** Number of workers (≥ 1). */
  size: number;
  /** Passed to every worker's init function (structured-cloned). */
  init: (worker: number) => unknown;
  /** Name used in errors. Default 'worker pool'. */
  name?: string;
}

/** What a learner uses of a started pool (`WorkerPool` implements it). */
export interface PoolHandle {
  /** Runs operation `op` of worker `w` with `args`; resolves with its result. */
  call<R>(w: number, op: string, args: unknown): Promise<R>;
  /** The first failure of a worker (its death, or an error it threw), or null. */
  readonly failure: WorkerFailure | null;
  /** Stops every worker. */
  close(): Promise<void>;
}

/** The fields of a worker's failure (`WorkerFailedError`) that error reports read. */
export interface WorkerFailure extends Error {
  /** Index of the worker in the pool. */
  readonly worker: number;
  /** The item (e.g. task index) last marked by the worker, or null. */
  readonly item: number | null;
  /** The operation that was running, if any. */
  readonly op: string | null;
  /** The worker's error message, or how it died. */
  readonly reason: string;
  /** Extra fields the worker's error carried. */
  readonly details: Record<string, unknown>;
  /** The worker-side stack, if it threw. */
  readonly workerStack?: string | undefined;
}

/** The module `worker-pool.ts` as a learner loads it (lazily, in Node only). */
export interface WorkerPoolModule {
  WorkerPool: { start(opts: WorkerPoolOptions): Promise<PoolHandle> };
}
