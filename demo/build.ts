/**
 * Builds the demo page with Vite and bundles a trained run into it; serves the result.
 * Node-only (used by demo/cli.ts and the browser test), never imported by the page.
 *
 * Output layout (`outDir`):
 *   index.html, assets/…        the page (demo/index.html, demo/main.ts and the library it imports),
 *                               and its training worker (demo/train-worker.ts), sharing their chunks
 *   tfjs-wasm/*.wasm            the binaries of the tfjs wasm backend (the page gives initBackend their URL)
 *   run/model.json, weights.bin the run's checkpoint (the format src/checkpoint.ts writes)
 *   run/progress.jsonl          the run's training log, if it has one
 *   run/manifest.json           where the run came from, shown on the page, and the worker's script
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { stripVTControlCharacters } from 'node:util';
import { build, preview, type Plugin } from 'vite';
import { loadCheckpoint } from '../src/checkpoint.ts';

/** The folder of the page's sources. */
export const DEMO_DIR = dirname(fileURLToPath(import.meta.url));

/** Options of {@link buildDemo}. */
export interface BuildDemoOptions {
  /** Run directory, as `metarl train` writes it (`checkpoint/`, `progress.jsonl`). */
  run: string;
  /** Where the static page goes (emptied first). */
  outDir: string;
  /** Shown on the page as the policy's origin. Default: `run <path>`. */
  label?: string;
  /** Only warnings and errors from Vite. */
  quiet?: boolean;
  /**
   * Modules that register envs of one's own (absolute file paths, as `--env-module` gives them),
   * bundled into the page and imported before it makes the run's env. They must be browser-safe.
   */
  envModules?: string[];
  /** The env id whose playground view the page uses (default: the run's env's, if it has one). */
  view?: string;
}

/** The id of the module through which the page imports {@link BuildDemoOptions.envModules}. */
const ENV_MODULES_ID = 'virtual:metarl-env-modules';

/** Provides `virtual:metarl-env-modules`: one side-effect import per env module (none by default). */
function envModulesPlugin(paths: readonly string[]): Plugin {
  return {
    name: 'metarl:env-modules',
    resolveId: (id) => (id === ENV_MODULES_ID ? `\0${ENV_MODULES_ID}` : undefined),
    load: (id) => (id === `\0${ENV_MODULES_ID}` ? `${paths.map((p) => `import ${JSON.stringify(p)};`).join('\n')}\nexport {};\n` : undefined),
  };
}

/**
 * Fails the build if code of this repository (not a dependency) imports a Node built-in, which Vite
 * would otherwise replace by a stub that throws at run time: the library parts the page uses must
 * stay browser-safe.
 */
export function noNodeBuiltins(): Plugin {
  return {
    name: 'metarl:no-node-builtins',
    buildEnd() {
      for (const id of this.getModuleIds()) {
        if (!id.startsWith('__vite-browser-external')) continue;
        // This repository's code and an env module of one's own (wherever it lies), not dependencies.
        const ours = (this.getModuleInfo(id)?.importers ?? []).filter((i) => !i.startsWith('\0') && !i.includes('/node_modules/'));
        if (ours.length > 0) {
          const name = id.includes(':') ? ` ${id.slice(id.indexOf(':') + 1)}` : '';
          this.error(`a Node built-in module${name} is imported by ${ours.join(', ')}; the page cannot use it (keep Node-only code out of what the page imports)`);
        }
      }
    },
  };
}

/** The directory holding `model.json`: `checkpoint/`, or `checkpoint.old/` after an interrupted save. */
function checkpointDir(run: string): string {
  const dir = join(run, 'checkpoint');
  if (!existsSync(join(dir, 'model.json')) && existsSync(join(run, 'checkpoint.old', 'model.json'))) return join(run, 'checkpoint.old');
  return dir;
}

/** An env module that cannot be bundled into the page (it imports a Node built-in, say): a user error. */
export class EnvModuleBuildError extends Error {
  constructor(
    /** The module's file. */
    readonly file: string,
    /** Vite's (Rollup's) first line about it. */
    readonly reason: string,
    cause: unknown,
  ) {
    super(`--env-module: ${file} cannot run in the page: ${reason} (the page bundles the env module, so it must be browser-safe: no Node built-ins such as node:fs)`, { cause });
    this.name = 'EnvModuleBuildError';
  }
}

/** The name of the training worker's entry in the page's build. */
const WORKER_ENTRY = 'train-worker';

/**
 * Vite's build of the page (demo/index.html, demo/main.ts and what they import, the env modules
 * too) into `outDir`. The training worker (demo/train-worker.ts) is a second entry of the same
 * build, so that it shares its chunks (tfjs, the library, the env modules) with the page instead
 * of carrying a copy of each, and costs no second build. Returns the worker script's path in
 * `outDir` (hashed; the page reads it from run/manifest.json).
 */
async function buildPage(outDir: string, envModules: readonly string[], quiet: boolean | undefined): Promise<string> {
  const result = await build({
    configFile: false,
    root: DEMO_DIR,
    base: './',
    publicDir: false,
    logLevel: quiet ? 'warn' : 'info',
    plugins: [noNodeBuiltins(), envModulesPlugin(envModules)],
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      // tfjs is one large chunk; that is expected.
      chunkSizeWarningLimit: 8000,
      reportCompressedSize: false,
      rollupOptions: { input: { index: join(DEMO_DIR, 'index.html'), [WORKER_ENTRY]: join(DEMO_DIR, 'train-worker.ts') } },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : []));
  const worker = outputs.find((o) => o.type === 'chunk' && o.isEntry && o.name === WORKER_ENTRY);
  if (!worker) throw new Error(`demo build: no ${WORKER_ENTRY} chunk in Vite's output`);
  return worker.fileName;
}

/** Builds the page into `outDir` and copies the run and the wasm binaries next to it. */
export async function buildDemo(opts: BuildDemoOptions): Promise<void> {
  const run = resolve(opts.run);
  // Verifies the checkpoint (size, SHA-256) before spending time on the build; throws CheckpointError.
  loadCheckpoint(run);
  const outDir = resolve(opts.outDir);
  const envModules = opts.envModules ?? [];
  let workerScript: string;
  try {
    workerScript = await buildPage(outDir, envModules, opts.quiet);
  } catch (e) {
    // The usual cause with an env module: it imports a Node built-in, which the page cannot have.
    const err = e as Error & { id?: string; loc?: { file?: string } };
    // Rollup's first line names the module (its code frame, further down, may quote other paths).
    // With colours on (FORCE_COLOR, as CI sets it), Vite wraps the message in terminal codes: drop them.
    const first = stripVTControlCharacters(String(err.message)).replace(/^There was an error during the build:\s*/, '').split('\n')[0]!.trim();
    const named = (p: string) => [p, relative(DEMO_DIR, p), relative(process.cwd(), p)].some((q) => first.includes(q));
    const culprit = envModules.find((p) => err.id === p || err.loc?.file === p) ?? envModules.find(named);
    if (culprit) throw new EnvModuleBuildError(culprit, first, e);
    // A file of the user's that an env module imports (outside this repository and node_modules).
    const file = err.id ?? err.loc?.file;
    if (envModules.length > 0 && file && !file.startsWith(resolve(DEMO_DIR, '..') + sep) && !file.includes('/node_modules/') && !file.startsWith('\0')) {
      throw new EnvModuleBuildError(file, `${first} (imported by --env-module ${envModules.join(', ')})`, e);
    }
    throw e;
  }

  const require = createRequire(import.meta.url);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  mkdirSync(join(outDir, 'tfjs-wasm'), { recursive: true });
  for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(outDir, 'tfjs-wasm', f));

  const runOut = join(outDir, 'run');
  mkdirSync(runOut, { recursive: true });
  const ck = checkpointDir(run);
  copyFileSync(join(ck, 'model.json'), join(runOut, 'model.json'));
  copyFileSync(join(ck, 'weights.bin'), join(runOut, 'weights.bin'));
  const hasProgress = existsSync(join(run, 'progress.jsonl'));
  if (hasProgress) copyFileSync(join(run, 'progress.jsonl'), join(runOut, 'progress.jsonl'));
  const manifest = {
    label: opts.label ?? `run ${opts.run}`,
    source: opts.run,
    files: { model: 'run/model.json', weights: 'run/weights.bin', progress: hasProgress ? 'run/progress.jsonl' : null },
    view: opts.view ?? null,
    worker: workerScript,
  };
  writeFileSync(join(runOut, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A running static server of a built page. */
export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

/** Serves a built page (Vite's preview server) on `host:port`; port 0 picks a free one. */
export async function serveDemo(opts: { outDir: string; port?: number; host?: string; quiet?: boolean }): Promise<DemoServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 4173;
  const server = await preview({
    configFile: false,
    root: DEMO_DIR,
    base: './',
    logLevel: opts.quiet ? 'warn' : 'info',
    build: { outDir: resolve(opts.outDir) },
    preview: { host, port, strictPort: port !== 0, open: false },
  });
  const addr = server.httpServer.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${addr.port}/`, close: () => server.close() };
}
