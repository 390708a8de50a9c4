/**
 * The browser demo end to end: `npm run demo -- --run <fixture>` builds and serves the page, Debian's
 * Chromium (driven by playwright-core) loads it, a click places a goal, the page samples and adapts
 * in tfjs (wasm backend) and the displayed post-adaptation return must beat the pre-adaptation one.
 *
 * The fixture run (test/browser/fixture-run/) is what `npm run demo` trains when no run is given:
 *   node bin/metarl.mjs train --config demo/default-run.json --out test/browser/fixture-run
 * (40 meta-iterations of a 32×32 policy, ~2 min on one core; 5 kB of weights).
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it). Without it the
 * test is skipped locally and fails under CI. METARL_CHROMIUM overrides the path;
 * METARL_DEMO_SCREENSHOT=path/to.png keeps the screenshot (the README's docs/demo.png).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The run the page is built with (relative to the repository, as shown on the page). */
const FIXTURE = 'test/browser/fixture-run';
const CHROMIUM = process.env.METARL_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
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

/** Goal of the click, in world coordinates (far from the start, where adaptation matters). */
const GOAL: [number, number] = [0.35, -0.3];

describe.skipIf(!haveChromium)('browser demo (Chromium)', () => {
  let tmp: string;
  let server: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let url: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'metarl-demo-'));
    const env = { ...process.env };
    delete env.NODE_ENV; // vitest sets 'test'; the page is built as in `npm run demo`
    server = spawn(process.execPath, ['--import', 'tsx', 'demo/cli.ts', '--run', FIXTURE, '--out', join(tmp, 'dist'), '--port', '0'], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    url = await new Promise<string>((ok, fail) => {
      let out = '';
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /demo: serving (http:\/\/\S+)/.exec(out);
        if (m) ok(m[1]!);
      });
      server!.on('exit', (code) => fail(new Error(`demo server exited with ${code}:\n${stderr}`)));
    });
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${m.text()} ${m.location().url}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`${r.status()} ${r.url()}`);
    });
  }, 150_000);

  afterAll(async () => {
    await context?.close();
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const returnOf = async (step: number) => Number(await page.locator(`#return-${step}`).getAttribute('data-value'));
  const waitForSteps = async (k: number) => {
    await page.waitForSelector(`#status[data-state="adapted"]`, { timeout: 30_000 });
    await page.waitForSelector(`#step-count[data-value="${k}"]`, { timeout: 30_000 });
    await page.waitForSelector(`#status[data-state="adapted"]`, { timeout: 30_000 });
  };

  it('loads the run, adapts to a clicked goal in the page, and the return improves', async () => {
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
    expect(await page.textContent('#run-info')).toMatch(/Navigation2D-v0.*iteration 40 of 40.*backend wasm/);
    // Training curves: both series drawn with one point per iteration.
    const d = await page.getAttribute('#curves path[data-series="returnsAfter"]', 'd');
    expect(d?.split('L').length).toBe(40);

    // Click the goal: map world coordinates to the SVG's box.
    const svg = page.locator('#nav-svg');
    const box = (await svg.boundingBox())!;
    const extent = Number(await svg.getAttribute('data-extent'));
    await svg.click({ position: { x: ((GOAL[0] + extent) / (2 * extent)) * box.width, y: ((extent - GOAL[1]) / (2 * extent)) * box.height } });
    await waitForSteps(1);
    const goal = (await page.getAttribute('#nav-goal', 'data-goal'))!.split(',').map(Number);
    expect(goal[0]).toBeCloseTo(GOAL[0], 1);
    expect(goal[1]).toBeCloseTo(GOAL[1], 1);
    // Trajectories of step 0 and step 1, one polyline per episode.
    expect(await page.locator('#nav-svg g[data-step="0"] polyline').count()).toBe(20);
    expect(await page.locator('#nav-svg g[data-step="1"] polyline').count()).toBe(20);

    const before = await returnOf(0);
    const after = await returnOf(1);
    expect(Number.isFinite(before) && Number.isFinite(after)).toBe(true);
    expect(after).toBeGreaterThan(before);
    const tensors1 = Number(await page.getAttribute('body', 'data-num-tensors'));

    // Steps 2 and 3 with α/2; then the counter stops.
    for (const k of [2, 3]) {
      await page.click('#next-step');
      await waitForSteps(k);
      expect(Number.isFinite(await returnOf(k))).toBe(true);
    }
    expect(await page.isDisabled('#next-step')).toBe(true);
    expect(await returnOf(3)).toBeGreaterThan(before);
    // Adapting leaks no tensors.
    expect(Number(await page.getAttribute('body', 'data-num-tensors'))).toBe(tensors1);
    expect(pageErrors).toEqual([]);

    const shot = process.env.METARL_DEMO_SCREENSHOT ? resolve(REPO, process.env.METARL_DEMO_SCREENSHOT) : join(tmp, 'demo.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.info(`browser demo: return before ${before.toFixed(2)}, after 1 step ${after.toFixed(2)}, after 3 steps ${(await returnOf(3)).toFixed(2)}; screenshot ${shot}`);
  }, 90_000);
});
