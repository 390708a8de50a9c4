/**
 * The demo page with runs other than MAML-TRPO ones, in Chromium: an oracle run is scored without
 * adaptation (as `metarl evaluate` does) and trains on with TRPO, the same iteration as `metarl
 * train --resume`; a supervised run (no playground view) shows its curves as minus the query loss,
 * without the playground's controls; a one-iteration run's curve is a dot; a bad URL parameter is
 * named.
 *
 * The runs are trained at test time with the tiny preset, one iteration each (a few seconds). One
 * page is built (with the oracle run); the supervised run's files are served to it in place of the
 * oracle's (the build holds no run-specific code), which saves a second build and browser.
 * Needs /usr/bin/chromium, as test/browser/demo.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, demoEnv, haveChromium, makeTmp, openDemoPage, type DemoPage } from './demo-page.ts';

/** Trains a one-iteration tiny run into `dir/name`; returns its path. */
function trainTiny(dir: string, name: string, ...args: string[]): string {
  const out = join(dir, name);
  const t = spawnSync(process.execPath, [join(REPO, 'bin', 'metarl.mjs'), 'train', '--preset', 'tiny', '--iterations', '1', '--workers', '1', '--out', out, ...args], { cwd: REPO, env: demoEnv(), encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`training ${name} failed:\n${t.stderr}`);
  return out;
}

describe.skipIf(!haveChromium)('browser demo with oracle and supervised runs (Chromium)', () => {
  let demo: DemoPage | undefined;
  let tmp: string;
  afterAll(async () => {
    await demo?.close();
  });

  it('an oracle run: scored without gradient steps, trains on with TRPO as train --resume does, its one iteration a dot', async () => {
    tmp = makeTmp('metarl-demo-oracle-');
    const run = trainTiny(tmp, 'oracle', '--env', 'Navigation2D-v0', '--algo', 'oracle');
    demo = await openDemoPage(tmp, run, { width: 1100, height: 1000 });
    const { page, url, pageErrors } = demo;

    // A seed that is not an integer is named as the URL parameter it is.
    await page.goto(`${url}?seed=abc`);
    await page.waitForSelector('#status[data-state="error"]', { timeout: 60_000 });
    expect(await page.textContent('#status')).toBe('Error: URL parameter seed: "abc" is not an integer ≥ 0 (e.g. ?seed=2)');
    pageErrors.length = 0; // the page logs the error it shows

    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
    expect(await page.textContent('#run-info')).toMatch(/Navigation2D-v0, oracle, iteration 1 of 1/);
    expect(await page.textContent('#train')).toBe('Train on in this page: TRPO (oracle)');
    expect(await page.textContent('#train-unit')).toBe('iterations');
    expect(await page.textContent('#prompt')).toContain('scores it without adaptation');
    // One line (before = after for an algo without inner steps), its one iteration a dot.
    expect(await page.locator('#curves path').count()).toBe(1);
    expect(await page.locator('#curves circle[data-series="returnsAfter"]').count()).toBe(1);

    const svg = page.locator('#nav-svg');
    const box = (await svg.boundingBox())!;
    await svg.click({ position: { x: box.width * 0.8, y: box.height * 0.3 } });
    await page.waitForSelector('#status[data-state="adapted"]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/^Return of the oracle policy −?\d+\.\d\d \(scored without adaptation\)$/);
    expect(Number.isFinite(Number(await page.getAttribute('#return-0', 'data-value')))).toBe(true);
    expect(await page.locator('#results tbody tr').count()).toBe(1);
    expect(await page.getAttribute('#step-count', 'data-value')).toBe('0');
    expect(await page.isDisabled('#next-step')).toBe(true);
    expect(await page.textContent('#next-step')).toBe('An oracle takes no gradient steps');
    expect(await page.textContent('#max-steps')).toBe('0');

    // One iteration trained in the page: the one `metarl train --resume` runs in Node.
    await page.fill('#train-iterations', '1');
    await page.click('#train');
    await page.waitForSelector('body[data-iteration="2"]', { timeout: 60_000 });
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toContain('(TRPO (oracle)); the playground now scores the parameters of iteration 2');
    const inPage = JSON.parse((await page.getAttribute('#train-info', 'data-last'))!);
    expect(await page.textContent('#train-info')).toMatch(/^Iteration 2: return −?\d+\.\d\d, KL/);
    const copy = join(tmp, 'resumed');
    cpSync(run, copy, { recursive: true });
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'metarl.mjs'), 'train', '--resume', '--iterations', '2', '--workers', '1', '--backend', 'wasm', '--out', copy], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const inNode = JSON.parse(readFileSync(join(copy, 'progress.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    const fields = (x: Record<string, unknown>) => ({ iteration: x.iteration, returnsAfter: x.returnsAfter, kl: x.kl, stepOutcome: x.stepOutcome, lineSearchSteps: x.lineSearchSteps });
    expect(fields(inPage)).toEqual(fields(inNode));
    expect(inNode.iteration).toBe(1);
    // Two iterations: a line through two dots.
    expect(await page.locator('#curves circle').count()).toBe(2);
    expect(pageErrors).toEqual([]);
  }, 150_000);

  it('a supervised run: curves of minus the query loss, no playground controls, no training button', async () => {
    if (!demo) throw new Error('the oracle test did not open the page');
    const run = trainTiny(tmp, 'sine', '--env', 'SineRegression-v0');
    const { page, url, pageErrors } = demo;
    // The sine run's files where the page fetches its run (the build's manifest names these paths).
    const files: Record<string, string> = { 'model.json': join(run, 'checkpoint', 'model.json'), 'weights.bin': join(run, 'checkpoint', 'weights.bin'), 'progress.jsonl': join(run, 'progress.jsonl') };
    await page.route('**/run/*', async (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop()!;
      if (name === 'manifest.json') {
        await route.fulfill({ json: { label: `run ${run}`, source: run, files: { model: 'run/model.json', weights: 'run/weights.bin', progress: 'run/progress.jsonl' }, view: null } });
      } else if (Object.hasOwn(files, name)) {
        await route.fulfill({ body: readFileSync(files[name]!) });
      } else {
        await route.continue();
      }
    });
    await page.goto(url);
    await page.waitForSelector('#status:not([data-state="loading"])', { timeout: 60_000 });
    expect(await page.textContent('#status'), pageErrors.join('\n')).toBe('Run loaded.');
    expect(await page.textContent('#run-info')).toMatch(/SineRegression-v0, maml, iteration 1 of 1/);
    expect(await page.textContent('#prompt')).toContain('The playground has no view for SineRegression-v0');
    expect(await page.isVisible('#playground')).toBe(false);
    expect(await page.isVisible('#next-step')).toBe(false);
    expect(await page.isDisabled('#train')).toBe(true);
    expect(await page.textContent('#train-info')).toBe('Training in the page is for RL runs; SineRegression-v0 is supervised.');
    const labels = await page.locator('#curves text').allTextContents();
    expect(labels).toEqual(expect.arrayContaining(['minus the query loss', 'before adaptation', 'after adaptation']));
    expect(labels).not.toContain('mean return');
    expect(await page.locator('#curves circle').count()).toBe(2);
    expect(pageErrors).toEqual([]);
  }, 150_000);
});
