/**
 * Builds the demo page with Vite and bundles a trained run into it; serves the result.
 * Node-only (used by demo/cli.ts and the browser test), never imported by the page.
 *
 * Output layout (`outDir`):
 *   index.html, assets/…        the page (demo/index.html, demo/main.ts and the library it imports)
 *   tfjs-wasm/*.wasm            the binaries of the tfjs wasm backend (the page calls setWasmPaths)
 *   run/model.json, weights.bin the run's checkpoint (the format src/checkpoint.ts writes)
 *   run/progress.jsonl          the run's training log, if it has one
 *   run/manifest.json           where the run came from, shown on the page
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { build, preview, type Plugin } from 'vite';
import { loadCheckpoint } from '../src/checkpoint.ts';

/** The folder of the page's sources. */
export const DEMO_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_DIR = resolve(DEMO_DIR, '..') + sep;

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
        const ours = (this.getModuleInfo(id)?.importers ?? []).filter((i) => i.startsWith(REPO_DIR) && !i.includes('/node_modules/'));
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

/** Builds the page into `outDir` and copies the run and the wasm binaries next to it. */
export async function buildDemo(opts: BuildDemoOptions): Promise<void> {
  const run = resolve(opts.run);
  // Verifies the checkpoint (size, SHA-256) before spending time on the build; throws CheckpointError.
  loadCheckpoint(run);
  const outDir = resolve(opts.outDir);
  await build({
    configFile: false,
    root: DEMO_DIR,
    base: './',
    publicDir: false,
    logLevel: opts.quiet ? 'warn' : 'info',
    plugins: [noNodeBuiltins()],
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      // tfjs is one large chunk; that is expected.
      chunkSizeWarningLimit: 8000,
      reportCompressedSize: false,
    },
  });

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
