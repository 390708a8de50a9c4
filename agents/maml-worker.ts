/**
 * Worker-thread entry of MAML-TRPO's task shards (started by agents/maml-trpo.ts through
 * src/worker-pool.ts). Each worker initialises its own tfjs backend (same backend and fixes as the
 * main thread), builds its envs from the config, and serves the {@link MamlShard} operations.
 */
import { initBackend } from '../src/backend.ts';
import { Transfer, markItem, serveWorker } from '../src/worker-pool.ts';
import { envFactory } from './trainer.ts';
import { MamlShard, type CollectRequest, type MamlWorkerInit } from './maml-shard.ts';

serveWorker(async (init: MamlWorkerInit) => {
  for (const [i, m] of init.envModules.entries()) {
    try {
      await import(m);
    } catch (e) {
      // Name the module: the error alone does not say which of them (or that it was one) failed.
      const reason = e instanceof Error ? e.message : String(e);
      const err = new Error(`env module ${i + 1} of ${init.envModules.length} (${m}) failed to load in the worker: ${reason}`);
      if (e instanceof Error && e.stack) err.stack = `Error: ${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
      throw err;
    }
  }
  await initBackend(init.backend, { log: () => {}, secondOrderFix: init.secondOrderFix, wasmKernelFixes: init.wasmKernelFixes });
  const shard = new MamlShard(init.config, envFactory(init.config), markItem);
  const out = (a: Float64Array) => new Transfer(a, [a.buffer as ArrayBuffer]);
  return {
    collect: (req: CollectRequest) => {
      const r = shard.collect(req);
      return new Transfer(r, [r.returnsBefore.buffer as ArrayBuffer, r.returnsAfter.buffer as ArrayBuffer]);
    },
    metaGradient: ({ x }: { x: Float64Array }) => out(shard.metaGradient(x)),
    fvpFiniteDifference: ({ x, eps, x0, only }: { x: Float64Array; eps: number; x0: Float64Array; only?: number[] }) => out(shard.fvpFiniteDifference(x, eps, x0, only)),
    fvpExact: ({ x, v, only, method }: { x: Float64Array; v: Float64Array; only?: number[]; method?: 'exact' | 'chain' }) => out(shard.fvpExact(x, v, only, method)),
    evaluate: ({ x }: { x: Float64Array }) => out(shard.evaluate(x)),
    release: () => shard.release(),
  };
});
