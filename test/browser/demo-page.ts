/**
 * What the browser tests of the demo share: finding Debian's Chromium, starting the demo
 * server (`demo/cli.ts`, as `npm run demo` does) on a free port, and opening its page in a headless
 * Chromium that records every page error, console error and failed request.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it). Without it the
 * tests are skipped locally and fail under CI. METARL_CHROMIUM overrides the path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The repository's root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.METARL_CHROMIUM ?? '/usr/bin/chromium';
/** Whether the browser tests can run here (they are skipped otherwise, outside CI). */
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} not found: .ci/run should have installed chromium`);
if (!haveChromium) console.warn(`test/browser: skipped, ${CHROMIUM} not found (apt-get install -y chromium)`);

/** The flags this machine's closed network needs (see the environment notes). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A served demo page, open in Chromium. */
export interface DemoPage {
  /** Scratch directory (the build, the browser profile, whatever the test adds); removed by close(). */
  tmp: string;
  page: Page;
  url: string;
  /** Page errors, console errors and HTTP responses ≥ 400, as they happen. */
  pageErrors: string[];
  /** Closes the browser, stops the server and removes `tmp`. */
  close(): Promise<void>;
}

/** The environment the page is built in: as `npm run demo`, not vitest's NODE_ENV=test. */
export function demoEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_ENV;
  return env;
}

/** A scratch directory for one test file. */
export function makeTmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Builds and serves the demo for `run` (a run directory, absolute or relative to the repository)
 * into `tmp` (with `extraArgs` for demo/cli.ts), then opens it in a fresh headless Chromium of the
 * given viewport.
 */
export async function openDemoPage(tmp: string, run: string, viewport: { width: number; height: number }, extraArgs: readonly string[] = []): Promise<DemoPage> {
  let server: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close();
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    server = spawn(process.execPath, ['--import', 'tsx', 'demo/cli.ts', '--run', run, '--out', join(tmp, 'dist'), '--port', '0', ...extraArgs], {
      cwd: REPO,
      env: demoEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const srv = server;
    let stderr = '';
    srv.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      srv.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /demo: serving (http:\/\/\S+)/.exec(out);
        if (m) ok(m[1]!);
      });
      srv.on('exit', (code) => fail(new Error(`demo server exited with ${code}:\n${stderr}`)));
    });
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${m.text()} ${m.location().url}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`${r.status()} ${r.url()}`);
    });
    return { tmp, page, url, pageErrors, close };
  } catch (e) {
    await close();
    throw e;
  }
}
