/**
 * The browser demo end to end: `npm run demo -- --run <fixture>` builds and serves the page, Debian's
 * Chromium (driven by playwright-core) loads it, a click places a goal, the page samples and adapts
 * in tfjs (wasm backend) and the displayed post-adaptation return must beat the pre-adaptation one.
 *
 * The fixture run (test/browser/fixture-run/) is what `npm run demo` trained when no run was given,
 * on 2026-11-22 (its config.json records that day's defaults; today's differ):
 *   node bin/metarl.mjs train --config demo/default-run.json --out test/browser/fixture-run
 * (40 meta-iterations of a 32×32 policy, ~2 min on one core; 5 kB of weights).
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it). Without it the
 * test is skipped locally and fails under CI. METARL_CHROMIUM overrides the path;
 * METARL_DEMO_SCREENSHOT=path/to.png keeps the screenshot (the README's docs/demo.png).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO, haveChromium, makeTmp, openDemoPage, type DemoPage } from './demo-page.ts';

/** The run the page is built with (relative to the repository, as shown on the page). */
const FIXTURE = 'test/browser/fixture-run';

/** Goal of the click, in world coordinates (far from the start, where adaptation matters). */
const GOAL: [number, number] = [0.35, -0.3];

describe.skipIf(!haveChromium)('browser demo (Chromium)', () => {
  let demo: DemoPage | undefined;
  let tmp: string;
  let page: Page;
  let url: string;
  let pageErrors: string[];

  beforeAll(async () => {
    demo = await openDemoPage(makeTmp('metarl-demo-'), FIXTURE, { width: 1100, height: 1000 });
    ({ tmp, page, url, pageErrors } = demo);
  }, 150_000);

  afterAll(async () => {
    await demo?.close();
  });

  const returnOf = async (step: number) => Number(await page.locator(`#return-${step}`).getAttribute('data-value'));
  const waitForSteps = async (k: number) => {
    await page.waitForSelector(`#status[data-state="adapted"]`, { timeout: 30_000 });
    await page.waitForSelector(`#step-count[data-value="${k}"]`, { timeout: 30_000 });
    await page.waitForSelector(`#status[data-state="adapted"]`, { timeout: 30_000 });
  };

  it('bundles tfjs-core with the cpu and wasm backends only, not @tensorflow/tfjs\'s layers, converter and WebGL (half the page\'s JavaScript)', () => {
    const assets = join(tmp, 'dist', 'assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
    expect(js).toContain('tfjs-backend-wasm'); // what the page does use (the name of its .wasm files)
    // A flag the WebGL backend registers, and a class name of tfjs-layers: in the bundle when src/ imported @tensorflow/tfjs.
    expect(js).not.toContain('WEBGL_VERSION');
    expect(js).not.toContain('LayersModel');
  });

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

    const after3 = await returnOf(3);
    const shot = process.env.METARL_DEMO_SCREENSHOT ? resolve(REPO, process.env.METARL_DEMO_SCREENSHOT) : join(tmp, 'demo.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.info(`browser demo: return before ${before.toFixed(2)}, after 1 step ${after.toFixed(2)}, after 3 steps ${after3.toFixed(2)}; screenshot ${shot}`);

    // Meta-iterations trained in the page's Web Worker: the first is the iteration `metarl train --resume` runs in Node.
    // Meanwhile a timer on the main thread measures the longest the page went without running it.
    await page.evaluate(() => {
      const w = window as unknown as { longestGap: number };
      w.longestGap = 0;
      let last = performance.now();
      setInterval(() => {
        const t = performance.now();
        w.longestGap = Math.max(w.longestGap, t - last);
        last = t;
      }, 20);
    });
    await page.fill('#train-iterations', '100');
    await page.click('#train');
    expect(await page.textContent('#train')).toBe('Stop (drops the iteration under way)');
    await page.waitForSelector('body[data-iteration="41"]', { timeout: 60_000 });
    const inPage = JSON.parse((await page.getAttribute('#train-info', 'data-last'))!);
    expect(inPage.iteration).toBe(40); // read before the next iteration ended
    const longestGap = await page.evaluate(() => (window as unknown as { longestGap: number }).longestGap);
    // On the main thread the page went the whole iteration without running the timer (2–5 s); in the worker, it runs on.
    expect(longestGap, `longest gap ${longestGap} ms in an iteration of ${inPage.seconds} s`).toBeLessThan(inPage.seconds * 1000 * 0.25);
    expect(await page.textContent('#run-info')).toMatch(/iteration 41 \(40 from the run, the last 1 trained in this page\)/);
    // A goal clicked meanwhile is refused with a word, not silently.
    await svg.click({ position: { x: box.width * 0.3, y: box.height * 0.7 } });
    expect(await page.textContent('#task-info')).toBe('The playground is free again when the training below ends, or when you stop it; it then adapts the new parameters.');
    // The button stops the training at once: the iteration under way is dropped.
    await page.click('#train');
    expect(await page.getAttribute('#status', 'data-state')).toBe('ready');
    const trained = Number(await page.getAttribute('body', 'data-iteration')) - 40;
    expect(trained === 1 || trained === 2, `trained ${trained}`).toBe(true); // 2 if the next iteration ended before the click
    expect(await page.textContent('#status')).toContain(`Trained ${trained} iteration${trained === 1 ? '' : 's'} in this page (MAML-TRPO, stopped before the 100 asked for: the iteration under way was dropped); the playground now adapts the parameters of iteration ${40 + trained}`);
    expect(await page.textContent('#train')).toBe('Train on in this page: MAML-TRPO');
    // Trained on, from where it stopped (a new worker).
    await page.fill('#train-iterations', '1');
    await page.click('#train');
    await page.waitForSelector(`body[data-iteration="${41 + trained}"]`, { timeout: 60_000 });
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 30_000 });
    expect(JSON.parse((await page.getAttribute('#train-info', 'data-last'))!).iteration).toBe(40 + trained);
    expect((await page.getAttribute('#curves path[data-series="returnsAfter"]', 'd'))?.split('L').length).toBe(41 + trained);
    // No tensor outlives an iteration in the worker (it reports its count after each), as in Node's progress.jsonl.
    expect((await page.getAttribute('#train-info', 'data-worker-tensors'))!.split(',').map(Number)).toEqual(Array(trained + 1).fill(0));
    const copy = join(tmp, 'resumed');
    cpSync(join(REPO, FIXTURE), copy, { recursive: true });
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'metarl.mjs'), 'train', '--resume', '--iterations', '41', '--workers', '1', '--backend', 'wasm', '--out', copy], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const inNode = JSON.parse(readFileSync(join(copy, 'progress.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    const fields = (x: Record<string, unknown>) => ({ iteration: x.iteration, returnsBefore: x.returnsBefore, returnsAfter: x.returnsAfter, kl: x.kl, stepOutcome: x.stepOutcome, lineSearchSteps: x.lineSearchSteps });
    expect(fields(inPage)).toEqual(fields(inNode));
    expect(inNode.iteration).toBe(40);
    expect(Number.isFinite(inNode.returnsAfter) && inNode.kl > 0).toBe(true);
    console.info(`browser demo: meta-iteration 41 in the page's worker ${JSON.stringify(fields(inPage))}, ${inPage.seconds.toFixed(1)} s, the main thread's longest gap ${longestGap.toFixed(0)} ms; ${await page.textContent('#train-info')}`);
    // The table of the old parameters' adaptation is cleared; the playground adapts the new parameters.
    expect(await page.locator('#results tbody tr').count()).toBe(0);
    expect(await page.getAttribute('#step-count', 'data-value')).toBe('0');
    expect(await page.isDisabled('#next-step')).toBe(true);
    await svg.click({ position: { x: box.width * 0.3, y: box.height * 0.7 } });
    await waitForSteps(1);
    expect(Number.isFinite(await returnOf(1))).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
